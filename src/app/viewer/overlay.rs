//! The probability overlay: whether it shows and how (colormap, opacity, from which
//! probability), and which map is on the GPU for it (uploaded once per map; its settings are
//! uniforms).

use std::borrow::Cow;

use eframe::egui;

use crate::annotate::revectorize::Probabilities;
use crate::raster::Window;
use crate::render::Colormap;
use crate::render::overlay::OverlaySettings;

/// The overlay's texture is at most this many texels a side (a larger map is shown coarser).
const OVERLAY_TEXELS: usize = 4096;

/// A map as the overlay's texture takes it: where it lies, its values, width and height.
pub type MapTexels<'m> = (Window, Cow<'m, [f32]>, usize, usize);

/// Which of a prediction's maps the overlay shows: a three-map network (the SN6 winner's)
/// gives edge and contact maps beside the footprint one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OverlayMap {
    #[default]
    Footprint,
    Edge,
    Contact,
}

impl OverlayMap {
    pub const ALL: [Self; 3] = [Self::Footprint, Self::Edge, Self::Contact];

    pub fn name(self) -> &'static str {
        match self {
            Self::Footprint => "footprint",
            Self::Edge => "edge",
            Self::Contact => "contact",
        }
    }
}

pub struct Overlay {
    /// Shown (when a map is on the GPU).
    pub on: bool,
    /// Which map (when there are several).
    pub map: OverlayMap,
    pub settings: OverlaySettings,
    /// The part of the scene (full-resolution pixels) whose map is on the GPU, and the map's
    /// texels there.
    installed: Option<(Window, (usize, usize))>,
    /// The probability map changed: upload it (or drop it) at the next frame.
    dirty: bool,
    /// Probability maps uploaded so far.
    uploads: usize,
}

impl Default for Overlay {
    fn default() -> Self {
        Self {
            on: true,
            map: OverlayMap::Footprint,
            settings: OverlaySettings::default(),
            installed: None,
            dirty: true,
            uploads: 0,
        }
    }
}

impl Overlay {
    /// The map changed (a new scene, a prediction, a map opened): upload it at the next frame.
    pub fn changed(&mut self) {
        self.dirty = true;
    }

    /// The map to upload when it changed since the last call: where it lies and its values,
    /// width and height (a map larger than the overlay's texture at every k-th pixel), or
    /// `Some(None)` to drop the one there. `None` when nothing changed.
    pub fn changed_map<'m>(
        &mut self,
        map: Option<(Window, &'m Probabilities)>,
    ) -> Option<Option<MapTexels<'m>>> {
        if !std::mem::take(&mut self.dirty) {
            return None;
        }
        Some(map.map(|(region, p)| {
            let k = p.width.max(p.height).div_ceil(OVERLAY_TEXELS);
            if k > 1 {
                let (values, tw, th) = every_kth(&p.values, p.width, p.height, k);
                (region, Cow::Owned(values), tw, th)
            } else {
                (
                    region,
                    Cow::Borrowed(p.values.as_slice()),
                    p.width,
                    p.height,
                )
            }
        }))
    }

    /// The map is on the GPU (`None`: none is, or its upload failed).
    pub fn installed(&mut self, region: Option<(Window, (usize, usize))>) {
        self.uploads += usize::from(region.is_some());
        self.installed = region;
    }

    /// Probability maps uploaded so far.
    pub fn uploads(&self) -> usize {
        self.uploads
    }

    /// Where the overlay is drawn and its texels, when it shows.
    pub fn shown_region(&self) -> Option<(Window, (usize, usize))> {
        self.installed.filter(|_| self.on)
    }

    /// Shows which map is drawn (footprint, edge or contact) when the prediction has the
    /// three (`three_maps`), and switches it.
    pub fn ui(&mut self, ui: &mut egui::Ui, three_maps: bool) {
        if self.installed.is_none() {
            return;
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.on, "probabilities")
                .on_hover_text("the probability map over the scene, from the threshold up");
            if three_maps {
                let before = self.map;
                egui::ComboBox::from_id_salt("overlay map")
                    .width(80.0)
                    .selected_text(self.map.name())
                    .show_ui(ui, |ui| {
                        for m in OverlayMap::ALL {
                            ui.selectable_value(&mut self.map, m, m.name());
                        }
                    })
                    .response
                    .on_hover_text(
                        "the three-map network's maps: footprint, edge (building borders) and \
                         contact (where buildings touch; the watershed splits them there)",
                    );
                if self.map != before {
                    self.dirty = true;
                }
            } else if self.map != OverlayMap::Footprint {
                self.map = OverlayMap::Footprint;
                self.dirty = true;
            }
            egui::ComboBox::from_id_salt("overlay colormap")
                .width(80.0)
                .selected_text(self.settings.colormap.name())
                .show_ui(ui, |ui| {
                    for c in Colormap::ALL {
                        ui.selectable_value(&mut self.settings.colormap, c, c.name());
                    }
                });
        });
        ui.add(
            egui::Slider::new(&mut self.settings.opacity, 0.0..=1.0)
                .text("opacity")
                .max_decimals(2),
        );
        ui.add(
            egui::Slider::new(&mut self.settings.threshold, 0.0..=1.0)
                .text("from p")
                .max_decimals(2),
        )
        .on_hover_text(
            "probabilities below this are not drawn: at the model's threshold (0.5) the overlay \
             is the mask the footprints are traced from",
        );
    }
}

/// Every `k`-th pixel of a `width` x `height` map, from the first: the map shown coarser.
fn every_kth(values: &[f32], width: usize, height: usize, k: usize) -> (Vec<f32>, usize, usize) {
    let (w, h) = (width.div_ceil(k), height.div_ceil(k));
    let mut out = Vec::with_capacity(w * h);
    for row in values.chunks_exact(width.max(1)).take(height).step_by(k) {
        out.extend(row.iter().step_by(k));
    }
    (out, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kth_keeps_the_first_of_each_block() {
        // 5 x 3, values = index.
        let values: Vec<f32> = (0..15).map(|v| v as f32).collect();
        let (out, w, h) = every_kth(&values, 5, 3, 2);
        assert_eq!((w, h), (3, 2));
        assert_eq!(out, vec![0.0, 2.0, 4.0, 10.0, 12.0, 14.0]);
    }

    #[test]
    fn an_overlay_shows_only_when_on_and_installed() {
        let mut overlay = Overlay::default();
        assert!(overlay.shown_region().is_none());
        overlay.installed = Some((
            Window {
                x: 0,
                y: 0,
                width: 4,
                height: 4,
            },
            (4, 4),
        ));
        assert!(overlay.shown_region().is_some());
        overlay.on = false;
        assert!(overlay.shown_region().is_none());
    }
}
