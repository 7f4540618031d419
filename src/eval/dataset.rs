//! The metric over a data set: every image scored on every core, counts in total and per
//! SpaceNet area of interest.

use std::collections::BTreeMap;

use geo::MultiPolygon;
use serde::Serialize;

use super::matching::evaluate_refs;
use super::{Counts, EvalParams, ImageEval};

/// The metric over a data set: per image (every ImageId of either file) and in total.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub params: Option<EvalParams>,
    pub images: BTreeMap<String, ImageEval>,
    pub total: Counts,
}

impl Evaluation {
    /// Counts summed per SpaceNet area of interest (`AOI_2_Vegas` of `AOI_2_Vegas_img3457`);
    /// images whose id names no AOI are left out.
    pub fn by_aoi(&self) -> BTreeMap<String, Counts> {
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for (id, image) in &self.images {
            if let Some(aoi) = aoi_of(id) {
                out.entry(aoi.to_string()).or_default().add(image.counts);
            }
        }
        out
    }
}

/// `AOI_2_Vegas_img3457` -> `AOI_2_Vegas`.
pub fn aoi_of(image_id: &str) -> Option<&str> {
    if !image_id.starts_with("AOI_") {
        return None;
    }
    image_id.find("_img").and_then(|end| image_id.get(..end))
}

/// Ground truth and proposals (with confidence) of one image.
type ImageInputs<'a> = (
    Vec<&'a MultiPolygon<f64>>,
    Vec<(&'a MultiPolygon<f64>, f64)>,
);

/// The inputs of image `id`: the ones at hand when the row before was of the same image,
/// else those in `per_image` (or new ones), the ones at hand put back there.
fn image_inputs<'a, 'b>(
    per_image: &'b mut BTreeMap<&'a str, ImageInputs<'a>>,
    at_hand: &'b mut Option<(&'a str, ImageInputs<'a>)>,
    id: &'a str,
) -> &'b mut ImageInputs<'a> {
    if at_hand.as_ref().is_none_or(|(held, _)| *held != id) {
        if let Some((held, inputs)) = at_hand.take() {
            per_image.insert(held, inputs);
        }
        *at_hand = Some((id, per_image.remove(id).unwrap_or_default()));
    }
    &mut at_hand
        .get_or_insert_with(|| (id, ImageInputs::default()))
        .1
}

/// What the metric reads of a footprint of a data set: its image, polygon and confidence
/// (a SpaceNet CSV row, say).
pub trait ImageFootprint {
    fn image_id(&self) -> &str;
    fn polygon(&self) -> &MultiPolygon<f64>;
    /// `None` when the file has no confidence.
    fn confidence(&self) -> Option<f64>;
}

/// Evaluates proposals against ground truth, image by image (a SpaceNet CSV's rows, say).
/// Proposals without a confidence all count as confidence 1 (file order).
pub fn evaluate_rows<F: ImageFootprint>(
    truth: &[F],
    proposals: &[F],
    params: EvalParams,
) -> Evaluation {
    // Rows of one image mostly follow each other: the image of the row before is tried first.
    let mut per_image: BTreeMap<&str, ImageInputs> = BTreeMap::new();
    let mut last: Option<(&str, ImageInputs)> = None;
    for row in truth {
        image_inputs(&mut per_image, &mut last, row.image_id())
            .0
            .push(row.polygon());
    }
    for row in proposals {
        image_inputs(&mut per_image, &mut last, row.image_id())
            .1
            .push((row.polygon(), row.confidence().unwrap_or(1.0)));
    }
    if let Some((id, inputs)) = last {
        per_image.insert(id, inputs);
    }
    let mut evaluation = Evaluation {
        params: Some(params),
        ..Default::default()
    };
    // Images are independent: score them on every core.
    let images: Vec<(&str, ImageInputs)> = per_image.into_iter().collect();
    let scored = crate::parallel::map_on_all_cores(&images, |(id, (t, p))| {
        (id.to_string(), evaluate_refs(t, p, params))
    });
    for (id, image) in scored {
        evaluation.total.add(image.counts);
        evaluation.images.insert(id, image);
    }
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_solaris_conventions() {
        let c = Counts {
            tp: 35,
            fp: 2,
            fn_: 7,
        };
        assert!((c.f1() - 0.8860759493670887).abs() < 1e-15);
        assert_eq!(Counts::default().f1(), 0.0);
        assert_eq!(aoi_of("AOI_2_Vegas_img3457"), Some("AOI_2_Vegas"));
        assert_eq!(aoi_of("20190804111224_20190804111453_tile_8685"), None);
    }
}
