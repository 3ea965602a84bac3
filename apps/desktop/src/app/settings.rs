//! The *Settings* tab: network (Tor or direct, ports, host), the
//! transport box's serial device and its state, sound
//! devices, display size, the folder received files go to, and writing a
//! backup. Edits stay in a draft until *Save settings*.

use eframe::egui::{ComboBox, RichText, Ui};
use susurro_wire::NetMode;

use super::App;
use super::widgets::{field, tor_progress};
use crate::backend::Request;
use crate::config::Mode;

impl App {
    /// The *Settings* tab: a draft of the config and display settings, saved
    /// at once by *Save settings*; and *Write backup*.
    pub(super) fn settings(&mut self, ui: &mut Ui) {
        if self.draft.is_none() {
            self.draft = Some((
                self.snap.config.clone(),
                self.snap.desktop.clone(),
                self.snap.config.network.port.to_string(),
                self.snap
                    .config
                    .transport_box
                    .serial
                    .clone()
                    .unwrap_or_default(),
                self.snap.downloads.display().to_string(),
            ));
        }
        let inputs = self.snap.inputs.clone();
        let outputs = self.snap.outputs.clone();
        let network = self.snap.view.network.clone();
        let mut save = false;
        let mut problem = None;
        let downloads_now = self.snap.downloads.clone();
        if let Some((cfg, desk, port, box_device, downloads)) = &mut self.draft {
            ui.heading("Network");
            ui.horizontal(|ui| {
                ui.add_enabled_ui(susurro_node::TOR || cfg.network.mode == Mode::Tor, |ui| {
                    ui.radio_value(&mut cfg.network.mode, Mode::Tor, "Tor (hidden, slower)");
                });
                ui.radio_value(
                    &mut cfg.network.mode,
                    Mode::Direct,
                    "Direct TCP (fast, shows your address)",
                );
            });
            if !susurro_node::TOR {
                ui.label(RichText::new("This build of Susurro has no Tor.").weak());
            }
            if network.mode == Some(NetMode::Tor) {
                tor_progress(ui, &network);
            }
            if cfg.network.mode == Mode::Tor {
                field(ui, "Onion service port", port, false);
            } else {
                field(ui, "Listen port", port, false);
                field(ui, "Host name on my card", &mut cfg.network.host, false);
                field(ui, "Listen on address", &mut cfg.network.listen, false);
            }
            ui.heading("Transport box");
            ui.label(
                RichText::new(
                    "A network box (susurro-box on a Raspberry Pi) can run Tor and the \
                     sockets for this computer; your keys and voice stay here. \
                     Leave empty to run them in this app.",
                )
                .weak(),
            );
            field(ui, "Box serial device", box_device, false);
            match network.transport_link {
                Some(true) => {
                    ui.label("Box: connected.");
                }
                Some(false) => {
                    ui.label(RichText::new("Box: disconnected.").strong());
                }
                None => {}
            }
            ui.heading("Sound");
            device_combo(ui, "Microphone", &mut cfg.audio.input_device, &inputs);
            device_combo(ui, "Speaker", &mut cfg.audio.output_device, &outputs);
            ui.heading("Display");
            ui.horizontal(|ui| {
                ui.label("Size:");
                for (z, l) in [(1.0, "100 %"), (1.5, "150 %"), (2.0, "200 %")] {
                    ui.radio_value(&mut desk.zoom, z, l);
                }
            });
            ui.heading("Files");
            field(ui, "Downloads folder", downloads, false);
            ui.label(
                RichText::new(
                    "Files your contacts send you are saved here. Empty: the default folder.",
                )
                .weak(),
            );
            if ui.button("Save settings").clicked() {
                let device = box_device.trim();
                let folder = downloads.trim();
                if folder.is_empty() {
                    desk.downloads = None;
                } else if std::path::Path::new(folder) != downloads_now {
                    desk.downloads = Some(folder.into());
                }
                match port.trim().parse::<u16>() {
                    Ok(_) if !folder.is_empty() && !std::path::Path::new(folder).is_absolute() => {
                        problem = Some(
                            "The downloads folder must be a full path such as /home/me/Downloads, or empty."
                                .to_owned(),
                        );
                    }
                    Ok(_) if !device.is_empty() && !device.starts_with('/') => {
                        problem = Some(
                            "The box serial device must be a path such as /dev/ttyACM0, or empty."
                                .to_owned(),
                        );
                    }
                    Ok(p) if p > 0 => {
                        cfg.network.port = p;
                        cfg.transport_box.serial = (!device.is_empty()).then(|| device.to_owned());
                        save = true;
                    }
                    _ => problem = Some("The port must be a number from 1 to 65535.".to_owned()),
                }
            }
        }
        if save && let Some((cfg, desk, _, _, _)) = self.draft.clone() {
            self.handle.send(Request::Settings {
                config: Box::new(cfg),
                desktop: desk,
            });
        }
        if problem.is_some() {
            self.forms.problem = problem;
        }
        ui.separator();
        ui.heading("Backup");
        ui.label("Write your identity and contacts to a file, encrypted with your password.");
        field(ui, "Backup file", &mut self.forms.backup_path, false);
        field(ui, "Your password", &mut self.forms.backup_password, true);
        if ui.button("Write backup").clicked() {
            let path = self.forms.backup_path.trim();
            if path.is_empty() {
                self.forms.problem = Some("Enter a file name for the backup.".to_owned());
            } else {
                self.handle.send(Request::Backup {
                    path: path.into(),
                    password: std::mem::take(&mut self.forms.backup_password),
                });
            }
        }
    }
}

/// A labelled choice of sound device, "System default" first.
fn device_combo(ui: &mut Ui, label: &str, value: &mut Option<String>, list: &[String]) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let shown = value.clone().unwrap_or_else(|| "System default".to_owned());
        ComboBox::from_id_salt(label)
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "System default");
                for d in list {
                    ui.selectable_value(value, Some(d.clone()), d);
                }
            })
            .response
            .labelled_by(l.id);
    });
}
