//! The *My card* tab: our contact card as a `susurro:` line and a QR code,
//! with the address it carries (our onion service in Tor mode).

use eframe::egui::{self, TextEdit, Ui};
use susurro_ui::text::fingerprint_text;
use susurro_ui::uri::{self, ContactCard};
use susurro_wire::{Address, Name, NetMode, Text};

use super::App;
use crate::config::Mode;
use crate::qr::Qr;

impl App {
    /// Whether our card goes over Tor: the network's mode once set, else
    /// the configured one.
    pub(super) fn card_is_tor(&self) -> bool {
        match self.snap.view.network.mode {
            Some(m) => m == NetMode::Tor,
            None => self.snap.config.network.mode == Mode::Tor,
        }
    }

    /// Our onion address: the one the transport reports, else the one
    /// recorded in `config.toml`; `None` before our onion service first ran.
    pub(super) fn own_onion(&self) -> Option<Address> {
        let n = &self.snap.view.network;
        if let a @ Address::Onion { .. } = &n.address {
            return Some(a.clone());
        }
        let cfg = &self.snap.config.network;
        let key = uri::parse_onion_name(cfg.onion.as_deref()?).ok()?;
        Some(Address::Onion {
            key,
            port: cfg.port,
        })
    }

    /// Our card as a URI: in Tor mode with our onion address (`None` until
    /// it is known), else with the configured host and port.
    pub fn own_card(&self) -> Option<String> {
        let v = &self.snap.view;
        let key = v.own_key?.key;
        let cfg = &self.snap.config;
        let address = if self.card_is_tor() {
            self.own_onion()?
        } else {
            Address::Tcp {
                host: Text::new(&cfg.network.host).ok()?,
                port: cfg.network.port,
            }
        };
        let name = if cfg.name.is_empty() { "Me" } else { &cfg.name };
        let card = ContactCard {
            name: Name::new(name).ok()?,
            key,
            address,
        };
        let mut s = heapless::String::<{ uri::MAX_URI }>::new();
        uri::encode(&card, &mut s).ok()?;
        Some(s.as_str().to_owned())
    }

    /// The *My card* tab: the card text, *Copy card* and its QR code (or
    /// why the card is not ready yet).
    pub(super) fn my_card(&mut self, ui: &mut Ui) {
        ui.heading("My contact card");
        let Some(card) = self.own_card() else {
            if self.snap.view.own_key.is_some() && self.card_is_tor() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Starting your onion service…");
                });
                ui.label(
                    "Your card needs your onion address, and it is not known yet: it appears here \
                     as soon as your onion service runs (the first time, this takes a minute or two).",
                );
            } else {
                ui.spinner();
            }
            return;
        };
        ui.label("Send this card to people who should be able to call you. It holds your public key and address: nothing secret.");
        if self.card_is_tor() {
            ui.label("Your address is your onion service: it does not reveal where you are.");
        }
        if let Some(k) = self.snap.view.own_key {
            ui.label(format!("Fingerprint: {}", fingerprint_text(&k.fingerprint)));
        }
        let l = ui.label("Card text");
        let mut shown = card.clone();
        ui.add(
            TextEdit::multiline(&mut shown)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        )
        .labelled_by(l.id);
        let r = ui.button("Copy card");
        self.focus(&r);
        if r.clicked() {
            ui.ctx().copy_text(card.clone());
        }
        if self.qr.as_ref().is_none_or(|q| q.text != card) {
            self.qr = Qr::new(&card);
        }
        if let Some(q) = &self.qr {
            ui.add_space(8.0);
            q.show(ui, 280.0, "QR code of my contact card");
        }
    }
}
