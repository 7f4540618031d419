//! "Re-vectorize this building": the footprint traced again from the probability map around it,
//! at another threshold.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Translate};

use crate::vector::{
    InstanceParams, OutlineParams, TracedBuilding, VectorizeParams, instance_footprints, vectorize,
};

/// Pixels of margin around the footprint's box that the new outline may grow into.
const MARGIN: f64 = 12.0;

/// A probability map on the scene's grid.
#[derive(Clone, Debug)]
pub struct Probabilities {
    pub values: Vec<f32>,
    pub width: usize,
    pub height: usize,
}

/// The outline of the building under `footprint` in `probs` above `threshold` (the component
/// that overlaps the footprint most, simplified as the baseline does) and its mean probability;
/// `None` when no component above the threshold overlaps it.
///
/// ```
/// use geo::{Area, MultiPolygon, polygon};
/// use sarscope::annotate::revectorize::{Probabilities, revectorize};
/// // A 10 x 10 block of 0.9 inside a ring of 0.6 in a 40 x 40 map of 0.1.
/// let mut values = vec![0.1f32; 40 * 40];
/// for y in 13..27 { for x in 13..27 { values[y * 40 + x] = 0.6; } }
/// for y in 15..25 { for x in 15..25 { values[y * 40 + x] = 0.9; } }
/// let probs = Probabilities { values, width: 40, height: 40 };
/// let rough = MultiPolygon(vec![polygon![(x: 16.0, y: 16.0), (x: 22.0, y: 16.0), (x: 22.0, y: 22.0), (x: 16.0, y: 22.0)]]);
/// let (tight, _) = revectorize(&probs, &rough, 0.7).unwrap();
/// assert_eq!(tight.unsigned_area(), 100.0);
/// let (loose, _) = revectorize(&probs, &rough, 0.5).unwrap();
/// assert_eq!(loose.unsigned_area(), 196.0);
/// ```
pub fn revectorize(
    probs: &Probabilities,
    footprint: &MultiPolygon<f64>,
    threshold: f32,
) -> Option<(MultiPolygon<f64>, f64)> {
    revectorize_maps(probs, None, footprint, threshold)
}

/// [`revectorize`] of a prediction that may have a three-map network's edge and contact maps
/// (`edge_contact`, the SN6 winner's): then the building is the watershed instance (the
/// winner's post-processing, flooded above `threshold`) that overlaps the footprint most, so
/// that a terraced house does not grow into its neighbours.
pub fn revectorize_maps(
    probs: &Probabilities,
    edge_contact: Option<&[Probabilities; 2]>,
    footprint: &MultiPolygon<f64>,
    threshold: f32,
) -> Option<(MultiPolygon<f64>, f64)> {
    let rect = footprint.bounding_rect()?;
    let mut margin = MARGIN;
    loop {
        let clamp = |v: f64, max: usize| v.clamp(0.0, max as f64) as usize;
        let x0 = clamp((rect.min().x - margin).floor(), probs.width);
        let y0 = clamp((rect.min().y - margin).floor(), probs.height);
        let x1 = clamp((rect.max().x + margin).ceil(), probs.width);
        let y1 = clamp((rect.max().y + margin).ceil(), probs.height);
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let found = trace_in(probs, edge_contact, footprint, threshold, (x0, y0, x1, y1))?;
        // A building cut by the window's edge: look again in a larger window.
        let whole = x0 == 0 && y0 == 0 && x1 == probs.width && y1 == probs.height;
        let b = found.0.bounding_rect()?;
        let cut = (b.min().x <= x0 as f64 && x0 > 0)
            || (b.min().y <= y0 as f64 && y0 > 0)
            || (b.max().x >= x1 as f64 && x1 < probs.width)
            || (b.max().y >= y1 as f64 && y1 < probs.height);
        if whole || !cut {
            return Some(found);
        }
        margin *= 2.0;
    }
}

/// The buildings of a footprint map (`width` x `height`) above `threshold`, of at least
/// `min_area` px: with a three-map network's edge and contact maps, the SN6 winner's watershed
/// instances flooded above it (the winner's outlines); else the map's components traced and
/// simplified as the baseline does. `None` when the maps differ in size.
pub fn buildings_above(
    footprint: &[f32],
    edge_contact: Option<[&[f32]; 2]>,
    (width, height): (usize, usize),
    threshold: f32,
    min_area: usize,
) -> Option<Vec<TracedBuilding>> {
    match edge_contact {
        Some([edge, contact]) => instance_footprints(
            footprint,
            edge,
            contact,
            width,
            height,
            InstanceParams {
                threshold: f64::from(threshold),
                ..InstanceParams::default()
            },
            OutlineParams {
                min_area: min_area as f64,
                ..OutlineParams::default()
            },
        ),
        None => {
            let params = VectorizeParams {
                threshold,
                min_area,
                ..VectorizeParams::default()
            };
            Some(vectorize(footprint, width, height, params))
        }
    }
}

/// The window (x0, y0, x1, y1) of `map`.
fn crop(map: &Probabilities, (x0, y0, x1, y1): (usize, usize, usize, usize)) -> Option<Vec<f32>> {
    let mut crop = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        crop.extend_from_slice(map.values.get(y * map.width + x0..y * map.width + x1)?);
    }
    Some(crop)
}

/// The best overlapping component (or watershed instance, with edge and contact maps) inside
/// the window (x0, y0, x1, y1).
fn trace_in(
    probs: &Probabilities,
    edge_contact: Option<&[Probabilities; 2]>,
    footprint: &MultiPolygon<f64>,
    threshold: f32,
    window: (usize, usize, usize, usize),
) -> Option<(MultiPolygon<f64>, f64)> {
    let (x0, y0, x1, y1) = window;
    let (w, h) = (x1 - x0, y1 - y0);
    let map = crop(probs, window)?;
    let found = match edge_contact {
        Some([edge, contact]) => {
            let (edge, contact) = (crop(edge, window)?, crop(contact, window)?);
            buildings_above(&map, Some([&edge, &contact]), (w, h), threshold, 1)?
        }
        None => buildings_above(&map, None, (w, h), threshold, 1)?,
    };
    found
        .into_iter()
        .map(|f| {
            let polygon = MultiPolygon(vec![f.polygon]).translate(x0 as f64, y0 as f64);
            let overlap = polygon.intersection(footprint).unsigned_area();
            (overlap, polygon, f.confidence)
        })
        .filter(|(overlap, _, _)| *overlap > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, polygon, confidence)| (polygon, confidence))
}
