//! The histogram panel (egui_plot): the shown values of one output channel with the stretch
//! limits, which can be dragged.

use eframe::egui;

use super::Viewer;

/// How near (screen points) a press must be to a limit line to grab it.
const GRAB: f32 = 8.0;

/// A plot in the side panel: fixed axes (the panel scrolls, it does not pan or zoom the plot),
/// and no background of its own. The panel's colour shows through, as the panels' own fill is
/// left to the frame's clear colour: a software renderer (lavapipe) shades every pixel egui
/// fills at ~65 ns, and the histogram's background and filled bars (~120,000 px) took 9-18 ms
/// of the 1920x1080 grid frame.
pub(super) fn panel_plot(id: &str, height: f32) -> egui_plot::Plot<'_> {
    egui_plot::Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show_background(false)
}

impl Viewer {
    pub(super) fn histogram_ui(&mut self, ui: &mut egui::Ui) {
        let mode = self.state.focused_mode();
        let display = self.display(mode);
        if !mode.is_rgb() {
            self.histogram.channel = 0;
        }
        let channel = self.histogram.channel;
        let settings = self.settings(mode);
        let bins = self
            .stretch
            .bins(&self.scene.bands.texels, display, channel)
            .clone();
        ui.label(format!(
            "{}{} · {} stretch",
            self.scene.bands.mode_label(mode),
            if display.db { " in dB" } else { "" },
            self.state.stretch.name(),
        ));
        if mode.is_rgb() {
            ui.horizontal(|ui| {
                for (k, name) in ["red", "green", "blue"].into_iter().enumerate() {
                    ui.selectable_value(&mut self.histogram.channel, k, name);
                }
            });
        }
        let width = match bins.as_slice() {
            [a, b, ..] => b.0 - a.0,
            _ => 1.0,
        };
        // The bars' outline, as steps: filled bars cost a software renderer ~10 ms a frame.
        let mut steps = Vec::with_capacity(bins.len() * 2 + 2);
        for &(x, share) in &bins {
            steps.push([x - width / 2.0, share]);
            steps.push([x + width / 2.0, share]);
        }
        if let (Some(first), Some(last)) = (steps.first().copied(), steps.last().copied()) {
            steps.insert(0, [first[0], 0.0]);
            steps.push([last[0], 0.0]);
        }
        let limits = [settings.lo[channel], settings.hi[channel]];
        let mut dragged_to = None;
        let mut dragging = self.histogram.dragging;
        // The channel's colour in an RGB mode, the text's in a one-channel one.
        let colour = match (mode.is_rgb(), channel) {
            (true, 0) => egui::Color32::from_rgb(230, 80, 80),
            (true, 1) => egui::Color32::from_rgb(90, 200, 90),
            (true, _) => egui::Color32::from_rgb(100, 140, 255),
            (false, _) => ui.visuals().text_color(),
        };
        panel_plot("histogram", 180.0)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .show_y(false)
            .show(ui, |plot| {
                plot.line(egui_plot::Line::new("pixels", steps).color(colour));
                for (i, (name, x)) in [("low", limits[0]), ("high", limits[1])]
                    .into_iter()
                    .enumerate()
                {
                    let grabbed = dragging == Some(i);
                    plot.vline(egui_plot::VLine::new(name, f64::from(x)).stroke(
                        egui::Stroke::new(if grabbed { 3.0 } else { 1.5 }, egui::Color32::YELLOW),
                    ));
                }
                let response = plot.response().clone();
                let pointer = plot.pointer_coordinate();
                // Where the press began: a drag starts only after the pointer moved a little.
                let pressed_at = plot.ctx().input(|i| i.pointer.press_origin());
                if response.drag_started()
                    && let Some(pos) = pressed_at
                {
                    let transform = plot.transform();
                    let nearest = limits
                        .iter()
                        .map(|x| (transform.position_from_point_x(f64::from(*x)) - pos.x).abs())
                        .enumerate()
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    dragging = nearest.filter(|(_, d)| *d <= GRAB).map(|(i, _)| i);
                }
                if response.dragged()
                    && let (Some(i), Some(p)) = (dragging, pointer)
                {
                    dragged_to = Some((i, p.x as f32));
                }
                if response.drag_stopped() {
                    dragging = None;
                }
            });
        self.histogram.dragging = dragging;
        if let Some((i, x)) = dragged_to {
            let [mut lo, mut hi] = limits;
            if i == 0 {
                lo = x.min(hi - f32::EPSILON.max(hi.abs() * 1e-6));
            } else {
                hi = x.max(lo + f32::EPSILON.max(lo.abs() * 1e-6));
            }
            self.set_manual_limits(mode, channel, lo, hi);
        }
        let manual = self.stretch.has_manual(display);
        ui.horizontal(|ui| {
            ui.label(format!("low {:.3}  high {:.3}", limits[0], limits[1]));
            if manual
                && ui
                    .button("reset")
                    .on_hover_text("back to the stretch")
                    .clicked()
            {
                self.stretch.reset_manual(display);
            }
        });
        ui.weak("drag the yellow lines to set the limits");
    }

    /// Sets the stretch limits of one output channel of `mode` by hand.
    pub fn set_manual_limits(
        &mut self,
        mode: crate::render::ViewMode,
        channel: usize,
        lo: f32,
        hi: f32,
    ) {
        self.stretch.set_manual(self.display(mode), channel, lo, hi);
    }
}
