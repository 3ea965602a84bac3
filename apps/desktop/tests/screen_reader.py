#!/usr/bin/python3
"""A minimal screen reader for tests/screen_reader.rs.

Runs inside a private D-Bus session (dbus-run-session) on an X display
(xvfb-run). It announces an assistive technology the way Orca does (sets
org.a11y.Status.IsEnabled on the session bus, which starts the AT-SPI bus),
starts the program given after `--`, finds its application on the AT-SPI
desktop by process id, and reads its accessibility tree the way a screen
reader does: role, name, states, actions and text of every node.

With --announce-after SECONDS the program starts first, must stay off the
AT-SPI desktop for that long (the toolkit keeps its adapter asleep while no
assistive technology runs), and is then found once the reader announces
itself, as when Orca is started after the application.

Each --press NAME (the Action interface's first action on the button of
that name) or --set-text NAME=TEXT (the EditableText interface of the
field of that name) is done in order, each followed by a new reading of the
tree once it has changed. Nothing is judged here: the whole transcript is
written as one JSON object to --out, and the Rust test makes the checks.

Every wait is bounded by --timeout; the program is ended on the way out.
"""

import argparse
import json
import signal
import subprocess
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402


def log(msg):
    print(f"screen_reader.py: {msg}", file=sys.stderr, flush=True)


def announce_screen_reader():
    """What an AT does at start: org.a11y.Status IsEnabled (and
    ScreenReaderEnabled) = true on org.a11y.Bus, the bus launcher."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    for prop in ("IsEnabled", "ScreenReaderEnabled"):
        bus.call_sync(
            "org.a11y.Bus",
            "/org/a11y/bus",
            "org.freedesktop.DBus.Properties",
            "Set",
            GLib.Variant("(ssv)", ("org.a11y.Status", prop, GLib.Variant("b", True))),
            None,
            Gio.DBusCallFlags.NONE,
            10000,
            None,
        )
    reply = bus.call_sync(
        "org.a11y.Bus",
        "/org/a11y/bus",
        "org.freedesktop.DBus.Properties",
        "Get",
        GLib.Variant("(ss)", ("org.a11y.Status", "IsEnabled")),
        GLib.VariantType("(v)"),
        Gio.DBusCallFlags.NONE,
        10000,
        None,
    )
    return bool(reply.unpack()[0])


def node_info(acc, depth):
    info = {"depth": depth, "role": acc.get_role_name(), "name": acc.get_name() or ""}
    states = acc.get_state_set()
    info["states"] = sorted(
        Atspi.StateType(s).value_nick
        for s in range(Atspi.StateType.LAST_DEFINED)
        if states.contains(Atspi.StateType(s))
    )
    info["interfaces"] = sorted(acc.get_interfaces())
    # The node is also the object of its interfaces (Atspi.Accessible
    # implements Atspi.Action, Atspi.Text…).
    if "Action" in info["interfaces"]:
        info["actions"] = [acc.get_action_name(i) for i in range(acc.get_n_actions())]
    if "Text" in info["interfaces"]:
        info["text"] = acc.get_text(0, acc.get_character_count())
    return info


def walk(acc, depth=0, out=None, limit=2000):
    """Depth-first, as a screen reader's review mode reads it."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    out.append((acc, node_info(acc, depth)))
    for i in range(acc.get_child_count()):
        child = acc.get_child_at_index(i)
        if child is not None:
            walk(child, depth + 1, out, limit)
    return out


def find_app(pid):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is None:
            continue
        try:
            if app.get_process_id() == pid:
                return app
        except GLib.Error:
            continue
    return None


def read_tree(app):
    # Read what the application says now, not libatspi's cache: this
    # reader listens to no events, so nothing would refresh the cache.
    app.clear_cache()
    nodes = walk(app)
    return nodes, [info for _, info in nodes]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=40.0,
                    help="seconds for the whole run")
    ap.add_argument("--step-timeout", type=float, default=10.0,
                    help="seconds to wait for the tree to change after a step")
    ap.add_argument("--out", required=True, help="where to write the JSON transcript")
    ap.add_argument("--announce-after", type=float, default=None, metavar="SECONDS",
                    help="start the program first and announce the screen reader this "
                         "much later (by default: announce, then start the program)")
    ap.add_argument("--press", action="append", default=[], dest="steps",
                    type=lambda v: ("press", v))
    ap.add_argument("--set-text", action="append", default=[], dest="steps",
                    type=lambda v: ("set-text", v))
    ap.add_argument("program", nargs="+")
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    out = {"is_enabled": None, "app": None, "pid": None, "seen_before_announce": None,
           "readings": [], "error": None}

    def left():
        return deadline - time.monotonic()

    child = None
    try:
        # No single AT-SPI call may hang the run.
        Atspi.set_timeout(3000, 10000)
        if args.announce_after is None:
            out["is_enabled"] = announce_screen_reader()
        child = subprocess.Popen(args.program)
        out["pid"] = child.pid
        if args.announce_after is not None:
            # No screen reader yet: the program must not show up.
            quiet_until = time.monotonic() + min(args.announce_after, left())
            out["seen_before_announce"] = False
            while time.monotonic() < quiet_until:
                if child.poll() is not None:
                    raise RuntimeError(f"the program exited ({child.returncode})")
                if find_app(child.pid) is not None:
                    out["seen_before_announce"] = True
                    break
                time.sleep(0.5)
            out["is_enabled"] = announce_screen_reader()
        t0 = time.monotonic()

        app = None
        while app is None:
            if child.poll() is not None:
                raise RuntimeError(f"the program exited ({child.returncode}) before it was seen")
            if left() <= 0:
                raise RuntimeError("the program's application never appeared on the AT-SPI desktop")
            app = find_app(child.pid)
            if app is None:
                time.sleep(0.2)
        out["app"] = {"name": app.get_name(),
                      "seen_after_s": round(time.monotonic() - t0, 2)}
        app.set_cache_mask(Atspi.Cache.NONE)

        # The first reading: wait until the tree holds more than the window
        # (the toolkit fills it after the first frame) and stops changing.
        previous = None
        while True:
            if left() <= 0:
                raise RuntimeError("the tree never settled")
            nodes, infos = read_tree(app)
            if len(infos) > 3 and infos == previous:
                break
            previous = infos
            time.sleep(0.3)
        out["readings"].append({"after": "start", "nodes": infos})

        for kind, value in args.steps:
            if kind == "press":
                target = next((a for a, i in nodes if i["name"] == value and "actions" in i), None)
                if target is None:
                    raise RuntimeError(f"no node named {value!r} with actions")
                done = target.do_action(0)
            else:
                name, _, text = value.partition("=")
                target = next((a for a, i in nodes
                               if i["name"] == name and "EditableText" in i["interfaces"]), None)
                if target is None:
                    raise RuntimeError(f"no editable node named {name!r}")
                done = target.set_text_contents(text)
            step = f"{kind} {value}"
            log(f"{step}: {done}")
            # Wait for the tree to change, then for it to settle.
            before = infos
            changed = False
            step_deadline = time.monotonic() + min(args.step_timeout, left())
            while time.monotonic() < step_deadline:
                time.sleep(0.2)
                nodes, infos = read_tree(app)
                if infos != before:
                    changed = True
                    time.sleep(0.3)
                    nodes2, infos2 = read_tree(app)
                    if infos2 == infos:
                        break
                    nodes, infos = nodes2, infos2
            out["readings"].append(
                {"after": step, "accepted": bool(done), "changed": changed, "nodes": infos})
            if not changed:
                break
    except Exception as e:  # reported in the JSON, judged by the test
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    # Not stdout: the AT-SPI registry started on this session prints there.
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    return 0 if out["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
