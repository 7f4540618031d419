//! The bars: along the top open, layout, camera, view mode, input scale, dB, stretch, gamma,
//! colormap, sampling, pixel grid; along the bottom the status (size, zoom, the pointer's
//! coordinates, a file being opened, the last error).

use eframe::egui;

use super::{Layout, Viewer};
use crate::render::{Colormap, InputScale, Sampling, Stretch, ViewMode};

impl Viewer {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            self.open_ui(ui);
            ui.strong(&self.scene.name);
            ui.separator();
            let before = self.state.layout;
            ui.selectable_value(&mut self.state.layout, Layout::Single, "single");
            ui.selectable_value(&mut self.state.layout, Layout::Grid, "grid");
            ui.selectable_value(&mut self.state.layout, Layout::Compare, "compare")
                .on_hover_text("two panes: the first two visible prediction layers, one in each");
            if self.state.layout != before {
                self.camera.refit();
            }
            if ui.button("fit").clicked() {
                self.camera.refit();
            }
            if ui
                .button("1:1")
                .on_hover_text("one screen pixel per scene pixel")
                .clicked()
            {
                let center = self.camera.center;
                self.camera.set(center, 1.0 / ui.ctx().pixels_per_point());
            }
            ui.separator();
            self.modes_ui(ui);
        });
        ui.horizontal_wrapped(|ui| {
            self.scale_ui(ui);
            ui.separator();
            self.stretch_ui(ui);
            ui.separator();
            ui.add(
                egui::Slider::new(&mut self.state.gamma, 0.2..=3.0)
                    .logarithmic(true)
                    .text("gamma"),
            );
            ui.separator();
            let one_channel = !self.state.focused_mode().is_rgb();
            ui.add_enabled_ui(one_channel, |ui| {
                egui::ComboBox::from_label("colormap")
                    .selected_text(self.state.colormap.name())
                    .show_ui(ui, |ui| {
                        for c in Colormap::ALL {
                            ui.selectable_value(&mut self.state.colormap, c, c.name());
                        }
                    })
                    .response
                    .on_disabled_hover_text("colormaps apply to one-channel views");
            });
            ui.selectable_value(&mut self.state.sampling, Sampling::Nearest, "nearest");
            ui.selectable_value(&mut self.state.sampling, Sampling::Bilinear, "bilinear");
            ui.checkbox(&mut self.state.pixel_grid, "pixel grid")
                .on_hover_text("lines between scene pixels when zoomed far in");
        });
    }

    fn open_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Open…").clicked()
            && let Some(files) = rfd::FileDialog::new()
                .add_filter("GeoTIFF", &["tif", "tiff", "TIF", "TIFF"])
                .pick_files()
        {
            self.open(ui.ctx(), files);
        }
        if ui
            .button("Open folder…")
            .on_hover_text("a folder of scenes, walked as a dataset (Page Down / Page Up)")
            .clicked()
            && let Some(folder) = rfd::FileDialog::new().pick_folder()
        {
            self.open_folder(ui.ctx(), &folder, None);
        }
        let mut chosen = None;
        ui.menu_button("Recent", |ui| {
            if self.state.recent.is_empty() {
                ui.weak("nothing yet");
            }
            for files in &self.state.recent {
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                if ui.button(names.join(" + ")).clicked() {
                    chosen = Some(files.clone());
                }
            }
        });
        if let Some(files) = chosen {
            self.open(ui.ctx(), files);
        }
    }

    fn modes_ui(&mut self, ui: &mut egui::Ui) {
        for mode in ViewMode::ALL {
            let why = self.scene.bands.unavailable(mode);
            if mode == ViewMode::Rgb && why.is_some() && self.scene.bands.polarimetric {
                // RGB is for rasters without polarizations; polarimetric scenes need no button.
                continue;
            }
            let selected = match self.state.layout {
                Layout::Single | Layout::Compare => self.state.mode == mode,
                Layout::Grid => self.state.composite == mode,
            };
            let label = self.scene.bands.mode_label(mode);
            let button = ui
                .add_enabled(why.is_none(), egui::Button::selectable(selected, label))
                .on_disabled_hover_text(why.unwrap_or_default());
            if button.clicked() {
                self.state.mode = mode;
                if !matches!(
                    mode,
                    ViewMode::Hh | ViewMode::Hv | ViewMode::Vh | ViewMode::Vv
                ) {
                    self.state.composite = mode;
                }
            }
        }
    }

    fn scale_ui(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("values");
        let before = self.input;
        egui::ComboBox::from_id_salt("input scale")
            .selected_text(self.input.name())
            .show_ui(ui, |ui| {
                for s in InputScale::ALL {
                    let detected = if s == self.scene.bands.input {
                        " (detected)"
                    } else {
                        ""
                    };
                    ui.selectable_value(&mut self.input, s, format!("{}{detected}", s.name()));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("what the file's values are: linear power, amplitude, or dB");
        if self.input != before {
            self.stretch.clear_manual();
        }
        ui.checkbox(&mut self.state.db, "dB")
            .on_hover_text("show 10 log10 of the power");
    }

    fn stretch_ui(&mut self, ui: &mut egui::Ui) {
        let before = self.state.stretch;
        let mut kind = before.name();
        let label = ui.label("stretch");
        egui::ComboBox::from_id_salt("stretch")
            .selected_text(kind)
            .show_ui(ui, |ui| {
                for s in [
                    Stretch::MinMax,
                    Stretch::default(),
                    Stretch::Sigma { k: 2.0 },
                ] {
                    ui.selectable_value(&mut kind, s.name(), s.name());
                }
            })
            .response
            .labelled_by(label.id);
        if kind != before.name() {
            self.state.stretch = match kind {
                "min/max" => Stretch::MinMax,
                "percentile" => Stretch::default(),
                _ => Stretch::Sigma { k: 2.0 },
            };
        }
        match &mut self.state.stretch {
            Stretch::MinMax => {}
            Stretch::Percentile { low, high } => {
                ui.add(
                    egui::DragValue::new(low)
                        .range(0.0..=49.9)
                        .speed(0.1)
                        .suffix(" %"),
                );
                ui.add(
                    egui::DragValue::new(high)
                        .range(50.1..=100.0)
                        .speed(0.1)
                        .suffix(" %"),
                );
            }
            Stretch::Sigma { k } => {
                ui.add(
                    egui::DragValue::new(k)
                        .range(0.1..=10.0)
                        .speed(0.05)
                        .prefix("k "),
                );
            }
        }
        if self.state.stretch != before {
            // A new stretch replaces limits dragged by hand.
            self.stretch.clear_manual();
        }
    }

    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(error) = &self.opening.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Could not open {error}"),
            );
        }
        let notes = self.gdal_notes();
        if let Some(first) = notes.first() {
            // The file is not as it should be: say so where the user looks, the first in full
            // and the others on hover.
            let more = match notes.len() {
                1 => String::new(),
                n => format!(" (+{} more, hover to see)", n - 1),
            };
            let all: Vec<String> = notes.iter().map(ToString::to_string).collect();
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {first}{more}"))
                .on_hover_text(all.join("\n"));
        }
        ui.horizontal(|ui| {
            let (w, h) = self.scene.size();
            ui.label(format!("{w} x {h} px, zoom {:.2}", self.camera.zoom));
            if self.scene.tiled.is_some() {
                ui.label(format!("tiled: {} tiles on the GPU", self.tiles.counts().1));
            }
            ui.separator();
            ui.monospace(self.inspector.position_text(&self.scene));
        });
        // While a file opens, the last line says so in place of the hints: the bar keeps its
        // height. A taller bar lays the window out again, and each frame that costs a software
        // renderer (lavapipe: 35-80 ms) is time taken from the reader on the same cores.
        if let Some((files, job)) = &self.opening.loading {
            // The time so far, a few times a second (the reader wakes the window when it is
            // done): a spinner would redraw the window at full rate. A damaged file can keep
            // GDAL busy for long: the user may stop waiting, and keep the scene shown.
            // A row no taller than its text (a row is at least a button's height by default).
            ui.spacing_mut().interact_size.y = 0.0;
            let cancel = ui
                .horizontal(|ui| {
                    ui.label(format!(
                        "Opening {}… {:.1} s",
                        crate::session::file_list(files),
                        job.elapsed_s()
                    ));
                    // A link, not a button: the bar keeps the height of a line of text.
                    ui.link("Cancel")
                        .on_hover_text("stop waiting for this file; the scene shown stays")
                        .clicked()
                })
                .inner;
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
            if cancel {
                self.cancel_open();
            }
        } else {
            ui.weak(format!(
                "{} · drag: pan · wheel: zoom · double-click: fit · drop files to open",
                self.adapter
            ));
        }
    }
}
