//! A scene's bands as the view shader takes them: four texture channels (HH, HV, VH, VV, or
//! the first four bands of a raster whose bands are not polarizations), and which views that
//! allows.

use crate::raster::{Planes, Polarization, Scene};

use super::{InputScale, ViewMode, interleave};

/// The texels of one scene and what its four channels hold.
pub struct Bands {
    /// Interleaved per pixel, see [`interleave`].
    pub texels: Vec<[f32; 4]>,
    pub width: usize,
    pub height: usize,
    /// Which channels hold a band (a missing polarization repeats the nearest band).
    pub present: [bool; 4],
    /// What each channel holds: "HH", or "band 1" for a raster without polarizations.
    pub labels: [String; 4],
    /// The channels are the polarizations HH, HV, VH, VV (some may be missing).
    pub polarimetric: bool,
    /// The scale guessed from the values.
    pub input: InputScale,
    /// The scene band shown in each channel.
    pub order: [usize; 4],
}

impl Bands {
    /// The channels of `scene`, whose pixels `planes` holds.
    pub fn new(scene: &Scene, planes: &Planes) -> Self {
        let count = scene.band_count();
        let last = count.saturating_sub(1);
        let mut order = [0usize; 4];
        let mut present = [false; 4];
        for (i, pol) in Polarization::SN6_ORDER.into_iter().enumerate() {
            present[i] = scene.band_of(pol).is_some();
            order[i] = scene.band_of(pol).unwrap_or(i.min(last));
        }
        let polarimetric = present.contains(&true);
        let labels = if polarimetric {
            Polarization::SN6_ORDER.map(|p| p.name().to_string())
        } else {
            // Bands without roles (grey, RGB, or more): the first four, in file order.
            present = std::array::from_fn(|i| i < count);
            order = std::array::from_fn(|i| i.min(last));
            std::array::from_fn(|i| format!("band {}", i + 1))
        };
        let texels = interleave(planes, order);
        Self {
            input: InputScale::detect(&texels),
            texels,
            width: planes.width,
            height: planes.height,
            present,
            labels,
            polarimetric,
            order,
        }
    }

    /// The texels of a product of a scene that are not polarizations (a decomposition's
    /// powers, entropy and alpha, ...): `names` label `planes`' bands, `order` puts up to four
    /// of them in the channels (red, green, blue in the RGB view), in `input`'s scale.
    pub fn of_product(
        planes: &Planes,
        names: &[&str],
        order: [usize; 4],
        input: InputScale,
    ) -> Self {
        let count = planes.bands.len();
        let present = order.map(|b| b < count);
        let order = order.map(|b| b.min(count.saturating_sub(1)));
        let labels = std::array::from_fn(|i| match names.get(order[i]) {
            Some(name) if present[i] => name.to_string(),
            _ => "none".to_string(),
        });
        Self {
            texels: interleave(planes, order),
            width: planes.width,
            height: planes.height,
            present,
            labels,
            polarimetric: false,
            input,
            order,
        }
    }

    /// Why `mode` cannot be shown, if it cannot.
    pub fn unavailable(&self, mode: ViewMode) -> Option<String> {
        if !self.polarimetric {
            return match mode {
                ViewMode::Hh | ViewMode::Hv | ViewMode::Vh | ViewMode::Vv => {
                    let slot = mode.id() as usize;
                    (!self.present[slot])
                        .then(|| format!("this raster has no {}", self.labels[slot]))
                }
                ViewMode::Rgb => (!self.present[2])
                    .then(|| "rgb needs three bands; this raster has fewer".to_string()),
                _ => Some(format!(
                    "{} needs the polarizations HH, HV, VH, VV; this raster's bands are not marked as polarizations",
                    mode.name()
                )),
            };
        }
        let needs: &[usize] = match mode {
            ViewMode::Hh => &[0],
            ViewMode::Hv => &[1],
            ViewMode::Vh => &[2],
            ViewMode::Vv => &[3],
            ViewMode::RatioHhHv => &[0, 1],
            ViewMode::Span | ViewMode::Pauli | ViewMode::Sinclair => &[0, 1, 2, 3],
            ViewMode::Rgb => {
                return Some(
                    "rgb shows the bands of a raster without polarizations; use pauli or sinclair"
                        .into(),
                );
            }
        };
        let missing: Vec<&str> = needs
            .iter()
            .filter(|&&i| !self.present[i])
            .map(|&i| Polarization::SN6_ORDER[i].name())
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "{} needs {}, which this scene does not have",
                mode.name(),
                missing.join(" and ")
            )
        })
    }

    /// The button text of `mode` for this scene ("hh", or "band 1" without polarizations).
    pub fn mode_label(&self, mode: ViewMode) -> String {
        match mode {
            ViewMode::Hh | ViewMode::Hv | ViewMode::Vh | ViewMode::Vv if !self.polarimetric => {
                self.labels[mode.id() as usize].clone()
            }
            _ => mode.name().to_string(),
        }
    }

    /// The first mode this scene can show, preferring `wanted`.
    pub fn usable_mode(&self, wanted: ViewMode) -> ViewMode {
        if self.unavailable(wanted).is_none() {
            return wanted;
        }
        let preference = [ViewMode::Span, ViewMode::Rgb, ViewMode::Hh];
        preference
            .into_iter()
            .chain(ViewMode::ALL)
            .find(|m| self.unavailable(*m).is_none())
            .unwrap_or(ViewMode::Hh)
    }
}
