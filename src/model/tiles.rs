//! The probabilities of a large scene, predicted and kept by tiles: a fixed grid of 512 px
//! squares on the full-resolution pixels, so that a view is predicted as the tiles it covers,
//! and a view seen before (panning back) needs no network at all.
//!
//! A tile inside the scene is exactly one of the baseline's windows (512 px at step 512 from
//! the scene's corner); a tile cut by the scene's right or bottom edge is predicted from the
//! window moved back inside (the baseline's rule), keeping the part over the tile. The baseline
//! averages that last window's logits with its neighbour's where they overlap; a tile takes
//! the moved window's alone there.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lru::LruCache;
use crate::raster::Window;

/// A tile's side in pixels (the baseline's window and step).
pub const TILE: usize = 512;

/// One tile of the grid: column and row from the scene's top-left corner (ordered row by
/// row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbTile {
    pub row: usize,
    pub col: usize,
}

impl ProbTile {
    /// Its pixels in a scene of `size` (cut at the right and bottom edges).
    pub fn window(self, size: (usize, usize)) -> Window {
        let (x, y) = (self.col * TILE, self.row * TILE);
        Window {
            x,
            y,
            width: TILE.min(size.0.saturating_sub(x)),
            height: TILE.min(size.1.saturating_sub(y)),
        }
    }

    /// The network window that predicts it: `TILE` square, moved back inside the scene where the
    /// tile is cut by its edge (the whole scene along a side shorter than a tile).
    ///
    /// ```
    /// use sarscope::model::ProbTile;
    /// let edge = ProbTile { col: 1, row: 0 }.network_window((900, 300));
    /// assert_eq!((edge.x, edge.y, edge.width, edge.height), (388, 0, 512, 300));
    /// ```
    pub fn network_window(self, size: (usize, usize)) -> Window {
        let tile = self.window(size);
        let axis = |start: usize, full: usize| {
            let side = TILE.min(full);
            (start.min(full - side), side)
        };
        let (x, width) = axis(tile.x, size.0);
        let (y, height) = axis(tile.y, size.1);
        Window {
            x,
            y,
            width,
            height,
        }
    }
}

/// The tiles that `view` touches in a scene of `size`, the one nearest the view's centre first
/// (what the user looks at comes back first).
pub fn tiles_covering(view: Window, size: (usize, usize)) -> Vec<ProbTile> {
    let x1 = (view.x + view.width).min(size.0);
    let y1 = (view.y + view.height).min(size.1);
    if view.x >= x1 || view.y >= y1 {
        return Vec::new();
    }
    let mut tiles: Vec<ProbTile> = (view.y / TILE..y1.div_ceil(TILE))
        .flat_map(|row| (view.x / TILE..x1.div_ceil(TILE)).map(move |col| ProbTile { col, row }))
        .collect();
    let centre = (
        (view.x + x1) as f64 / 2.0 / TILE as f64 - 0.5,
        (view.y + y1) as f64 / 2.0 / TILE as f64 - 0.5,
    );
    let distance = |t: &ProbTile| {
        let (dx, dy) = (t.col as f64 - centre.0, t.row as f64 - centre.1);
        dx * dx + dy * dy
    };
    tiles.sort_by(|a, b| distance(a).total_cmp(&distance(b)).then(a.cmp(b)));
    tiles
}

/// The smallest window that holds every one of `tiles` (empty for none).
pub fn tiles_extent(tiles: &[ProbTile], size: (usize, usize)) -> Window {
    let mut extent: Option<(usize, usize, usize, usize)> = None;
    for t in tiles {
        let w = t.window(size);
        let (x1, y1) = (w.x + w.width, w.y + w.height);
        extent = Some(match extent {
            None => (w.x, w.y, x1, y1),
            Some((a, b, c, d)) => (a.min(w.x), b.min(w.y), c.max(x1), d.max(y1)),
        });
    }
    let (x0, y0, x1, y1) = extent.unwrap_or_default();
    Window {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// One tile's probabilities, row-major over [`ProbTile::window`].
pub type TileProbabilities = Arc<[f32]>;

/// The probabilities of `region` put together from `tiles` (each with its window); pixels no
/// tile covers are NaN (no data).
pub fn assemble(region: Window, tiles: &[(Window, TileProbabilities)]) -> Vec<f32> {
    let mut out = vec![f32::NAN; region.width * region.height];
    let (rx1, ry1) = (region.x + region.width, region.y + region.height);
    for (w, values) in tiles {
        if values.len() != w.width * w.height {
            continue;
        }
        let (x0, x1) = (w.x.max(region.x), (w.x + w.width).min(rx1));
        let (y0, y1) = (w.y.max(region.y), (w.y + w.height).min(ry1));
        if x0 >= x1 {
            continue;
        }
        for y in y0..y1 {
            let src = (y - w.y) * w.width + (x0 - w.x);
            let dst = (y - region.y) * region.width + (x0 - region.x);
            out[dst..dst + (x1 - x0)].copy_from_slice(&values[src..src + (x1 - x0)]);
        }
    }
    out
}

/// The part `inner` of a map over `outer` (`inner` must lie inside `outer`).
pub fn crop(values: &[f32], outer: Window, inner: Window) -> Vec<f32> {
    let mut out = Vec::with_capacity(inner.width * inner.height);
    for y in inner.y..inner.y + inner.height {
        let start = (y - outer.y) * outer.width + (inner.x - outer.x);
        out.extend_from_slice(&values[start..start + inner.width]);
    }
    out
}

/// Tiles kept at most (1 MiB each).
pub const TILES_KEPT: usize = 96;

/// The tiles predicted so far with one set of weights, least recently used dropped first.
pub struct ProbabilityTiles {
    weights: Option<PathBuf>,
    tiles: LruCache<ProbTile, TileProbabilities>,
}

impl Default for ProbabilityTiles {
    fn default() -> Self {
        Self {
            weights: None,
            tiles: LruCache::new(TILES_KEPT),
        }
    }
}

impl ProbabilityTiles {
    /// Keeps `values` for `tile` as predicted with `weights` (tiles of other weights go).
    pub fn insert(&mut self, weights: &Path, tile: ProbTile, values: TileProbabilities) {
        if self.weights.as_deref() != Some(weights) {
            self.tiles.clear();
            self.weights = Some(weights.to_path_buf());
        }
        self.tiles.insert(tile, values);
    }

    /// The tile's probabilities from `weights`, if kept (and marked as just used).
    pub fn get(&mut self, weights: &Path, tile: ProbTile) -> Option<TileProbabilities> {
        if self.weights.as_deref() != Some(weights) {
            return None;
        }
        self.tiles.get(&tile).cloned()
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    pub fn clear(&mut self) {
        self.tiles.clear();
        self.weights = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(x: usize, y: usize, width: usize, height: usize) -> Window {
        Window {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn tiles_of_a_view_nearest_its_centre_first() {
        let size = (2000, 1500);
        let tiles = tiles_covering(win(600, 100, 600, 500), size);
        // Columns 1-2, rows 0-1.
        assert_eq!(tiles.len(), 4);
        let mut sorted = tiles.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec![
                ProbTile { col: 1, row: 0 },
                ProbTile { col: 2, row: 0 },
                ProbTile { col: 1, row: 1 },
                ProbTile { col: 2, row: 1 },
            ]
        );
        // The view's centre (900, 350) lies in tile (1, 0).
        assert_eq!(tiles[0], ProbTile { col: 1, row: 0 });
        assert_eq!(tiles_extent(&tiles, size), win(512, 0, 1024, 1024));
        // Nothing for a view outside the scene; the scene's edge cuts the last tiles.
        assert!(tiles_covering(win(2000, 0, 10, 10), size).is_empty());
        let edge = tiles_covering(win(1900, 1400, 500, 500), size);
        assert_eq!(edge, vec![ProbTile { col: 3, row: 2 }]);
        assert_eq!(tiles_extent(&edge, size), win(1536, 1024, 464, 476));
    }

    #[test]
    fn a_tile_cut_by_the_edge_is_predicted_from_a_window_inside() {
        let size = (1100, 512);
        assert_eq!(
            ProbTile { col: 0, row: 0 }.network_window(size),
            win(0, 0, 512, 512)
        );
        let edge = ProbTile { col: 2, row: 0 };
        assert_eq!(edge.window(size), win(1024, 0, 76, 512));
        assert_eq!(edge.network_window(size), win(588, 0, 512, 512));
        // A scene narrower than a tile is predicted whole along that side.
        assert_eq!(
            ProbTile { col: 0, row: 0 }.network_window((300, 200)),
            win(0, 0, 300, 200)
        );
    }

    #[test]
    fn assembling_tiles_and_cropping_are_inverse() {
        let region = win(10, 20, 7, 5);
        let full: Vec<f32> = (0..35).map(|v| v as f32).collect();
        let left = win(10, 20, 3, 5);
        let right = win(13, 20, 4, 3);
        let tiles = vec![
            (left, Arc::from(crop(&full, region, left))),
            (right, Arc::from(crop(&full, region, right))),
        ];
        let back = assemble(region, &tiles);
        for (i, (a, b)) in back.iter().zip(&full).enumerate() {
            let (x, y) = (10 + i % 7, 20 + i / 7);
            if x >= 13 && y >= 23 {
                assert!(a.is_nan(), "({x}, {y}) is covered by no tile");
            } else {
                assert_eq!(a, b, "({x}, {y})");
            }
        }
    }

    #[test]
    fn the_cache_forgets_tiles_of_other_weights_and_the_least_used() {
        let mut cache = ProbabilityTiles::default();
        let (a, b) = (Path::new("a.bpk"), Path::new("b.bpk"));
        let tile = |col| ProbTile { col, row: 0 };
        cache.insert(a, tile(0), Arc::from(vec![0.5_f32]));
        assert!(cache.get(a, tile(0)).is_some());
        assert!(cache.get(b, tile(0)).is_none());
        cache.insert(b, tile(1), Arc::from(vec![0.5_f32]));
        assert!(cache.get(a, tile(0)).is_none());
        assert_eq!(cache.len(), 1);
        for col in 2..TILES_KEPT + 2 {
            cache.insert(b, tile(col), Arc::from(vec![0.5_f32]));
            // Tile 1 is looked at all along: it stays.
            assert!(cache.get(b, tile(1)).is_some());
        }
        assert_eq!(cache.len(), TILES_KEPT);
        assert!(cache.get(b, tile(2)).is_none(), "the least used went");
    }
}
