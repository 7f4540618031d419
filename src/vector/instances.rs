//! Building instances from a three-head network's maps (footprint, edge, contact), in the SN6
//! winner's order of operations: the footprint map is damped where contacts are, seeds are
//! the damped map without edges and contacts above a threshold (8-connected, small ones
//! dropped), and the seeds are flooded over the negated damped map inside the footprint
//! threshold with watershed lines; the flooded regions, 8-connected, are the buildings.

use super::{OutlineParams, TracedBuilding, outline_labels, watershed};

/// The post-processing's settings; the defaults are the winner's (`test_postprocess_single`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceParams {
    /// How much the contact map damps the footprint map (1: footprint x (1 - contact)).
    pub contact_weight: f64,
    /// How much the edge map damps the footprint map (the winner: 0, not at all).
    pub edge_weight: f64,
    /// The seed map is the damped map x (1 - w_c contact) x (1 - w_e edge), these weights.
    pub seed_contact_weight: f64,
    pub seed_edge_weight: f64,
    /// Seeds are where the seed map is above this...
    pub seed_threshold: f64,
    /// ...in 8-connected groups of at least this many pixels.
    pub seed_min_area: usize,
    /// Buildings are flooded where the damped map is above this.
    pub threshold: f64,
}

impl Default for InstanceParams {
    fn default() -> Self {
        Self {
            contact_weight: 1.0,
            edge_weight: 0.0,
            seed_contact_weight: 1.0,
            seed_edge_weight: 1.0,
            seed_threshold: 0.75,
            seed_min_area: 110,
            threshold: 0.5,
        }
    }
}

/// 8-connected groups of pixels: `same(a, b)` says whether neighbouring pixels `a` and `b`
/// (both with `inside` true) belong together. Labels 1.. in raster order of each group's first
/// pixel (scikit-image's `measure.label` numbering), 0 outside.
///
/// Two raster passes: the first links each pixel to its earlier neighbours (left, and the
/// three above) in a union-find forest, the second numbers the forest's trees in the order
/// their first pixels come.
fn label_8(
    width: usize,
    height: usize,
    inside: impl Fn(usize) -> bool,
    same: impl Fn(usize, usize) -> bool,
) -> (Vec<u32>, u32) {
    const NONE: u32 = u32::MAX;
    let n = width * height;
    // parent[i]: a pixel of i's group at or before i (NONE: not inside).
    let mut parent = vec![NONE; n];
    fn root(parent: &mut [u32], mut i: usize) -> usize {
        while parent[i] as usize != i {
            // Path halving.
            let grand = parent[parent[i] as usize];
            parent[i] = grand;
            i = grand as usize;
        }
        i
    }
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            if !inside(i) {
                continue;
            }
            parent[i] = i as u32;
            let mut earlier = [NONE as usize; 4];
            if x > 0 {
                earlier[0] = i - 1;
            }
            if y > 0 {
                let up = i - width;
                earlier[1] = up;
                if x > 0 {
                    earlier[2] = up - 1;
                }
                if x + 1 < width {
                    earlier[3] = up + 1;
                }
            }
            for j in earlier {
                if j == NONE as usize || parent[j] == NONE || !same(i, j) {
                    continue;
                }
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                // The earlier pixel is the root: a tree's root is its first pixel.
                if a != b {
                    let (low, high) = if a < b { (a, b) } else { (b, a) };
                    parent[high] = low as u32;
                }
            }
        }
    }
    let mut labels = vec![0u32; n];
    let mut count = 0u32;
    for i in 0..n {
        if parent[i] == NONE {
            continue;
        }
        let r = root(&mut parent, i);
        labels[i] = if r == i {
            count += 1;
            count
        } else {
            labels[r]
        };
    }
    (labels, count)
}

/// Building instances of `width` x `height` maps (probabilities, row-major): a label per pixel
/// (0: no building or a watershed line), labels 1.. in raster order, and how many there are.
/// `None` when the maps do not have `width` x `height` values.
pub fn instance_labels(
    footprint: &[f32],
    edge: &[f32],
    contact: &[f32],
    width: usize,
    height: usize,
    params: InstanceParams,
) -> Option<(Vec<u32>, u32)> {
    let n = width * height;
    if footprint.len() != n || edge.len() != n || contact.len() != n {
        return None;
    }
    let at = |v: &[f32], i: usize| f64::from(v[i]);
    // The footprint damped where contacts (and, with a weight, edges) are.
    let damped: Vec<f64> = (0..n)
        .map(|i| {
            at(footprint, i)
                * (1.0 - params.contact_weight * at(contact, i))
                * (1.0 - params.edge_weight * at(edge, i))
        })
        .collect();
    let seed_map: Vec<bool> = (0..n)
        .map(|i| {
            damped[i]
                * (1.0 - params.seed_contact_weight * at(contact, i))
                * (1.0 - params.seed_edge_weight * at(edge, i))
                > params.seed_threshold
        })
        .collect();
    let (groups, count) = label_8(width, height, |i| seed_map[i], |_, _| true);
    let mut area = vec![0usize; count as usize + 1];
    for &g in &groups {
        area[g as usize] += 1;
    }
    // The groups kept, numbered again in their order (the raster order of their first pixels,
    // as labelling what is left would number them).
    let mut renumbered = vec![0u32; area.len()];
    let mut kept = 0;
    for (group, &pixels) in area.iter().enumerate().skip(1) {
        if pixels >= params.seed_min_area {
            kept += 1;
            renumbered[group] = kept;
        }
    }
    let seeds: Vec<u32> = groups.iter().map(|&g| renumbered[g as usize]).collect();
    let image: Vec<f64> = damped.iter().map(|v| -v).collect();
    let mask: Vec<bool> = damped.iter().map(|v| *v > params.threshold).collect();
    let flooded = watershed(&image, &seeds, &mask, width, height, true);
    Some(label_8(
        width,
        height,
        |i| flooded[i] != 0,
        |a, b| flooded[a] == flooded[b],
    ))
}

/// The buildings of a three-head network's maps as the SN6 winner writes them: the
/// [`instance_labels`] outlined by [`outline_labels`], each with the mean footprint
/// probability of its pixels as its confidence. `None` when the maps do not have `width` x
/// `height` values.
pub fn instance_footprints(
    footprint: &[f32],
    edge: &[f32],
    contact: &[f32],
    width: usize,
    height: usize,
    params: InstanceParams,
    outline: OutlineParams,
) -> Option<Vec<TracedBuilding>> {
    let (labels, _) = instance_labels(footprint, edge, contact, width, height, params)?;
    Some(outline_labels(&labels, footprint, width, height, outline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_connected_groups_are_numbered_in_raster_order() {
        // . x . x
        // x . . x
        // . . x .
        let set = [0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0];
        let (labels, count) = label_8(4, 3, |i| set[i] == 1, |_, _| true);
        assert_eq!(count, 2);
        assert_eq!(labels, vec![0, 1, 0, 2, 1, 0, 0, 2, 0, 0, 2, 0]);
    }

    /// Two touching squares whose contact the network marks: one building each.
    #[test]
    fn a_contact_splits_touching_buildings() {
        let (w, h) = (40, 20);
        let footprint: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if (4..36).contains(&x) && (4..16).contains(&y) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let contact: Vec<f32> = (0..w * h)
            .map(|i| {
                if (19..21).contains(&(i % w)) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let edge = vec![0.0f32; w * h];
        let (labels, count) =
            instance_labels(&footprint, &edge, &contact, w, h, InstanceParams::default()).unwrap();
        assert_eq!(count, 2);
        assert_eq!(labels[10 * w + 10], 1);
        assert_eq!(labels[10 * w + 30], 2);
        // Without the contact map it is one building.
        let none = vec![0.0f32; w * h];
        let (_, one) =
            instance_labels(&footprint, &edge, &none, w, h, InstanceParams::default()).unwrap();
        assert_eq!(one, 1);
        assert!(
            instance_labels(
                &footprint,
                &edge,
                &none,
                w,
                h + 1,
                InstanceParams::default()
            )
            .is_none()
        );
    }
}
