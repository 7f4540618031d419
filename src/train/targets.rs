//! The SN6 winner's three training targets from footprints (`process_image` of
//! `1-zbigniewwojna/main.py`, edge width 3, contact width 9): the footprint mask; the edge,
//! each building's pixels that an erosion by a 3x3 square removes (its inner 1-pixel border);
//! the contact, pixels with two buildings in reach (within 3 px for a pixel between
//! buildings, within 1 px for a pixel of a building: the 7x7 and 3x3 windows main.py checks
//! inside its dilated candidate area, which holds every such pixel).

use geo::{BoundingRect, Coord, MapCoords, MultiPolygon};

use crate::vector::rasterize;

/// One label per pixel (0: none, buildings 1.. in the order given; a later building covers
/// an earlier one where they overlap, as main.py paints them).
pub fn label_buildings(truth: &[MultiPolygon<f64>], width: usize, height: usize) -> Vec<u32> {
    let mut labels = vec![0u32; width * height];
    for (k, building) in truth.iter().enumerate() {
        let Some(rect) = building.bounding_rect() else {
            continue;
        };
        // Rasterized inside its bounding box only.
        let x0 = rect.min().x.floor().max(0.0) as usize;
        let y0 = rect.min().y.floor().max(0.0) as usize;
        let x1 = (rect.max().x.ceil().max(0.0) as usize).min(width);
        let y1 = (rect.max().y.ceil().max(0.0) as usize).min(height);
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let (bw, bh) = (x1 - x0, y1 - y0);
        let shifted = building.map_coords(|c| Coord {
            x: c.x - x0 as f64,
            y: c.y - y0 as f64,
        });
        let mask = rasterize(&[shifted], bw, bh);
        for y in 0..bh {
            for x in 0..bw {
                if mask[y * bw + x] {
                    labels[(y0 + y) * width + x0 + x] = k as u32 + 1;
                }
            }
        }
    }
    labels
}

/// The edge and contact targets (0 or 1) of a label image.
pub fn edge_and_contact(labels: &[u32], width: usize, height: usize) -> (Vec<f32>, Vec<f32>) {
    let mut edge = vec![0f32; width * height];
    let mut contact = vec![0f32; width * height];
    let at = |x: isize, y: isize| -> Option<u32> {
        (x >= 0 && y >= 0 && (x as usize) < width && (y as usize) < height)
            .then(|| labels[y as usize * width + x as usize])
    };
    for y in 0..height as isize {
        for x in 0..width as isize {
            let i = y as usize * width + x as usize;
            let own = labels[i];
            // Edge: a building pixel with another label (or none) among its 8 neighbours; the
            // image's border counts as the building's own (skimage reflects it).
            if own != 0 {
                let on_border = (-1..=1)
                    .any(|dy| (-1..=1).any(|dx| at(x + dx, y + dy).is_some_and(|l| l != own)));
                if on_border {
                    edge[i] = 1.0;
                }
            }
            // Contact: two different buildings in the window.
            let r: isize = if own == 0 { 3 } else { 1 };
            let mut first = 0u32;
            'window: for dy in -r..=r {
                for dx in -r..=r {
                    match at(x + dx, y + dy) {
                        Some(l) if l != 0 && first == 0 => first = l,
                        Some(l) if l != 0 && l != first => {
                            contact[i] = 1.0;
                            break 'window;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    (edge, contact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]),
            vec![],
        )])
    }

    #[test]
    fn touching_houses_have_edges_and_a_contact_between_them() {
        let (w, h) = (30, 12);
        let labels = label_buildings(
            &[rect(2.0, 2.0, 12.0, 10.0), rect(12.0, 2.0, 22.0, 10.0)],
            w,
            h,
        );
        assert_eq!(labels[5 * w + 5], 1);
        assert_eq!(labels[5 * w + 15], 2);
        let (edge, contact) = edge_and_contact(&labels, w, h);
        // The inner border ring of each house, not its inside.
        assert_eq!(edge[2 * w + 5], 1.0);
        assert_eq!(edge[5 * w + 5], 0.0);
        assert_eq!(edge[5 * w + 11], 1.0);
        // The shared wall: a pixel each side (within 1 px of the other house).
        assert_eq!(contact[5 * w + 11], 1.0);
        assert_eq!(contact[5 * w + 12], 1.0);
        assert_eq!(contact[5 * w + 10], 0.0);
        assert_eq!(contact[5 * w + 5], 0.0);
        // Beyond the row's ends, between nothing: no contact.
        assert_eq!(contact[5 * w + 25], 0.0);
        // Between two houses 4 px apart, the gap's pixels see both within 3 px.
        let labels = label_buildings(
            &[rect(2.0, 2.0, 10.0, 10.0), rect(14.0, 2.0, 22.0, 10.0)],
            w,
            h,
        );
        let (_, contact) = edge_and_contact(&labels, w, h);
        assert_eq!(contact[5 * w + 11], 1.0);
        assert_eq!(contact[5 * w + 12], 1.0);
        // A lone house has no contact at all.
        let labels = label_buildings(&[rect(2.0, 2.0, 10.0, 10.0)], w, h);
        assert!(edge_and_contact(&labels, w, h).1.iter().all(|&c| c == 0.0));
    }
}
