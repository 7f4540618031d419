//! The pixel inspector: the scene position under the pointer, its values in every band (as
//! stored and in dB) and its coordinates (pixel, CRS, longitude/latitude).

use std::cell::RefCell;

use eframe::egui;

use crate::raster::{Scene, ToLonLat, Window};
use crate::render::{InputScale, NODATA, db};
use crate::session::SceneData;

type InspectedPixel = ((usize, usize), Option<[f32; 4]>);

/// The open files of a scene drawn by tiles and the last pixel read from them.
#[derive(Default)]
struct FullResolution {
    source: Option<Scene>,
    /// The pixel read last and its channels (`None`: unreadable).
    last: Option<InspectedPixel>,
}

#[derive(Default)]
pub struct Inspector {
    /// The scene position under the pointer, shown as a cross in every pane.
    pub cursor: Option<egui::Vec2>,
    to_lon_lat: Option<ToLonLat>,
    full: RefCell<FullResolution>,
}

impl Inspector {
    /// The inspector of a new scene.
    pub fn new(scene: &SceneData) -> Self {
        Self {
            to_lon_lat: scene.crs.as_ref().and_then(ToLonLat::new),
            ..Self::default()
        }
    }

    /// Pixel, CRS and longitude/latitude of the cursor.
    pub fn position_text(&self, scene: &SceneData) -> String {
        let Some(p) = self.cursor else {
            return String::new();
        };
        let mut text = format!("pixel {:.0}, {:.0}", p.x.floor(), p.y.floor());
        if let Some(gt) = scene.geo_transform {
            let [x, y] = gt.world_from_pixel([f64::from(p.x), f64::from(p.y)]);
            let crs = scene
                .crs
                .as_ref()
                .and_then(|c| c.epsg.map(|e| format!("EPSG:{e}")).or(c.name.clone()))
                .unwrap_or_default();
            text += &format!("   {x:.2}, {y:.2} {crs}");
            if let Some([lon, lat]) = self.to_lon_lat.as_ref().and_then(|t| t.lon_lat([x, y])) {
                text += &format!("   lon {lon:.6}, lat {lat:.6}");
            }
        }
        text
    }

    /// The four channels of full-resolution pixel (`x`, `y`) of a scene drawn by tiles, read
    /// from its files (one pixel; the file stays open for the next ones). The last pixel read
    /// is kept, so a still pointer reads nothing. `None` when the files cannot be read.
    fn full_resolution_texel(&self, scene: &SceneData, x: usize, y: usize) -> Option<[f32; 4]> {
        let mut full = self.full.borrow_mut();
        if let Some((at, v)) = &full.last
            && *at == (x, y)
        {
            return *v;
        }
        if full.source.is_none() {
            full.source = Scene::open_many(&scene.files).ok();
        }
        let window = Window {
            x,
            y,
            width: 1,
            height: 1,
        };
        let value = full
            .source
            .as_ref()
            .and_then(|source| source.read_window(window, (1, 1)).ok())
            .map(|planes| {
                let valid = planes.valid.first().copied().unwrap_or(false);
                scene.bands.order.map(
                    |b| match planes.bands.get(b).and_then(|band| band.first()) {
                        Some(v) if valid => *v,
                        _ => NODATA,
                    },
                )
            });
        full.last = Some(((x, y), value));
        value
    }

    /// Every band of `scene` at scene position `p`, as stored (read as `input`) and in dB (for
    /// a scene drawn by tiles, read from its files at full resolution; the overview's value if
    /// that fails).
    pub fn inspect(&self, scene: &SceneData, input: InputScale, p: egui::Vec2) -> Option<String> {
        let bands = &scene.bands;
        let (w, h) = scene.size();
        let (x, y) = (p.x.floor(), p.y.floor());
        if x < 0.0 || y < 0.0 || x >= w as f32 || y >= h as f32 {
            return None;
        }
        let (ox, oy) = (
            ((p.x / w as f32 * bands.width as f32) as usize).min(bands.width - 1),
            ((p.y / h as f32 * bands.height as f32) as usize).min(bands.height - 1),
        );
        let full = if scene.tiled.is_some() {
            self.full_resolution_texel(scene, x as usize, y as usize)
        } else {
            None
        };
        let v = match full {
            Some(v) => v,
            None => *bands.texels.get(oy * bands.width + ox)?,
        };
        if v.iter().any(|b| *b <= NODATA) {
            return Some(format!("pixel {x}, {y}\nno data"));
        }
        let mut text = format!("pixel {x}, {y}");
        if scene.tiled.is_some() && full.is_none() {
            text += " (overview values)";
        }
        let slots = bands.labels.iter().zip(v).zip(bands.present);
        for ((label, value), _) in slots.filter(|(_, present)| *present) {
            text += &match input {
                InputScale::Db => format!("\n{label} {value:>8.2} dB"),
                input => format!(
                    "\n{label} {value:>10.4} {}  {:>7.2} dB",
                    input.name(),
                    db(input.to_power(value))
                ),
            };
        }
        Some(text)
    }
}
