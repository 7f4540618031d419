//! The scene panes: one view or the linked grid sharing one camera and one cursor. Pointer
//! input (pan by dragging, zoom about the cursor, double-click to fit, pick, the tools) and
//! painting: the scene (or its tiles), the probability overlay and the footprint outlines
//! through their paint callbacks, the tools' handles, the shared cursor.

use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu;

use super::{Tool, Viewer};
use crate::app::gpu::{
    OutlineDraw, OutlineResources, OverlayDraw, OverlayResources, PaneCallback, ViewDraw,
    ViewResources, tile_resident,
};
use crate::render::ViewUniform;
use crate::render::outline::OutlineUniform;
use crate::render::overlay::OverlayUniform;
use crate::render::pyramid::{TileKey, level_for, top_level, visible_tiles};

/// Screen pixels per scene pixel from which the pixel grid shows (when switched on).
const GRID_FROM: f32 = 12.0;

/// The part of `content` (where a whole image would be drawn) that `clip` shows, snapped to
/// physical pixels as egui_wgpu snaps a paint callback's viewport, and the window onto the image
/// that part shows (left, top, width, height as shares of the image), as a shader's `window`
/// takes it. With the snapping, the image lands where it would without it to the nearest pixel
/// instead of being stretched by up to a pixel. None when nothing of it shows.
fn visible_part(
    content: egui::Rect,
    clip: egui::Rect,
    pixels_per_point: f32,
) -> Option<(egui::Rect, [f32; 4])> {
    let shown = snapped(content.intersect(clip), pixels_per_point);
    if !(shown.width() > 0.0 && shown.height() > 0.0) {
        return None;
    }
    let share = (shown.min - content.min) / content.size();
    let size = shown.size() / content.size();
    Some((shown, [share.x, share.y, size.x, size.y]))
}

/// `rect` with its corners on the nearest physical pixels.
fn snapped(rect: egui::Rect, pixels_per_point: f32) -> egui::Rect {
    let snap =
        |p: egui::Pos2| ((p.to_vec2() * pixels_per_point).round() / pixels_per_point).to_pos2();
    egui::Rect::from_min_max(snap(rect.min), snap(rect.max))
}

/// A rectangle of scene pixels from its corner and size.
fn scene_rect(x: usize, y: usize, width: usize, height: usize) -> egui::Rect {
    egui::Rect::from_min_size(
        egui::pos2(x as f32, y as f32),
        egui::vec2(width as f32, height as f32),
    )
}

impl Viewer {
    /// Draws the tiles of a large scene over `rect` (whose overview is already drawn): the
    /// level that matches the zoom where resident, else the nearest resident coarser tile;
    /// missing tiles are asked for. `wanted`: the scene's size and the tiles the pane shows
    /// ([`Viewer::tiles_wanted`]).
    fn draw_tiles(
        &mut self,
        ui: &egui::Ui,
        render: &egui_wgpu::RenderState,
        (pane, rect): (usize, egui::Rect),
        settings: &crate::render::ViewSettings,
        (size, wanted): ((usize, usize), Vec<TileKey>),
    ) {
        let pixels_per_point = ui.ctx().pixels_per_point();
        let overview_step = self.overview_step(size);
        let mut draws: Vec<TileKey> = Vec::new();
        for key in &wanted {
            if tile_resident(render, key) {
                continue;
            }
            self.tiles.request(*key);
            // Meanwhile the nearest coarser tile that is there, if finer than the overview.
            let mut up = key.parent();
            while ((1u32 << up.level) as f32) < overview_step {
                if tile_resident(render, &up) {
                    if !draws.contains(&up) {
                        draws.push(up);
                    }
                    break;
                }
                up = up.parent();
            }
        }
        draws.sort_by_key(|k| std::cmp::Reverse(k.level));
        draws.extend(wanted.iter().filter(|k| tile_resident(render, k)));
        let painter = ui.painter().with_clip_rect(rect);
        for key in draws {
            let (x, y, w, h) = key.window(size);
            // Snapped to physical pixels before it is cut to the pane: two tiles then share
            // the pixel edge between them. Unsnapped, a boundary that falls mid-pixel rounds to
            // the next pixel in both, and the row (or column) before it, past the first tile's
            // texture, would show neither.
            let tile_rect = snapped(
                self.camera.screen_rect(rect, scene_rect(x, y, w, h)),
                pixels_per_point,
            );
            let Some((shown, window)) = visible_part(tile_rect, rect, pixels_per_point) else {
                continue;
            };
            let (tw, th) = key.texels(size);
            let mut uniform = ViewUniform::new(settings, tw, th);
            uniform.window = window;
            uniform.checker = 1.0;
            let screen_px_per_texel =
                self.camera.zoom * pixels_per_point * (1u32 << key.level) as f32;
            if self.state.pixel_grid && key.level == 0 && screen_px_per_texel >= GRID_FROM {
                uniform.grid = screen_px_per_texel;
            }
            painter.add(PaneCallback::<ViewResources>::shape(
                shown,
                ViewDraw {
                    pane,
                    tile: Some(key),
                    uniform,
                },
            ));
        }
    }

    /// The tiles of the level the zoom needs that `rect` (a pane) shows, with the scene's
    /// size; `None` where the overview is drawn alone.
    pub(super) fn tiles_wanted(
        &self,
        rect: egui::Rect,
        pixels_per_point: f32,
    ) -> Option<((usize, usize), Vec<TileKey>)> {
        let size = self.scene.tiled?;
        let level = self.tile_level(pixels_per_point)?;
        let seen = self.camera.scene_rect(rect);
        let view = [seen.min.x, seen.min.y, seen.max.x, seen.max.y];
        Some((size, visible_tiles(level, view, size)))
    }

    /// Scene pixels per pixel of the overview of a scene of `size` drawn by tiles.
    fn overview_step(&self, size: (usize, usize)) -> f32 {
        size.0.max(size.1) as f32 / self.scene.bands.width.max(self.scene.bands.height) as f32
    }

    /// The pyramid level the panes draw a scene drawn by tiles at (the coarsest whose texels
    /// are no larger than a screen pixel); `None` for a scene drawn whole, or where the
    /// overview is as fine (levels no finer than it add nothing to it).
    fn tile_level(&self, pixels_per_point: f32) -> Option<u32> {
        let size = self.scene.tiled?;
        let scene_per_screen = 1.0 / (self.camera.zoom * pixels_per_point);
        let level = level_for(scene_per_screen, top_level(size));
        (((1u32 << level) as f32) < self.overview_step(size)).then_some(level)
    }

    /// The pointer in one pane: the tools first, then pan, fit, pick and zoom. Returns the
    /// scene position under the pointer when it hovers the pane.
    fn pane_input(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        rect: egui::Rect,
    ) -> Option<egui::Vec2> {
        let editing = self.edit_pointer(response, rect);
        if response.dragged() && !editing && response.drag_delta() != egui::Vec2::ZERO {
            self.camera.pan(response.drag_delta());
        }
        if self.edit.tool != Tool::Navigate {
            // The tools use clicks themselves.
        } else if response.double_clicked() {
            self.camera.refit();
        } else if response.clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let p = self.camera.scene_from_screen(rect, pointer);
            self.layers.selected = self.pick(p);
        }
        let pointer = response.hover_pos()?;
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        let factor = ui.input(|i| i.zoom_delta()) * (scroll / 200.0).exp();
        if factor != 1.0 {
            self.camera.zoom_about(rect, pointer, factor);
        }
        Some(self.camera.scene_from_screen(rect, pointer))
    }

    pub(super) fn scene_view_ui(
        &mut self,
        ui: &mut egui::Ui,
        render: Option<&egui_wgpu::RenderState>,
    ) {
        if let (Some(size), Some(render)) = (self.scene.tiled, render) {
            let (failed, made) = self.tiles.receive(
                ui.ctx(),
                render,
                &self.scene.files,
                size,
                self.scene.bands.order,
            );
            self.polsar.keep_tiles(made);
            if let Some(e) = failed {
                self.opening.error = Some(format!("{}: {e}", self.scene.name));
            }
        }
        let area = ui.available_rect_before_wrap();
        ui.allocate_rect(area, egui::Sense::hover());
        let panes = self.state.panes(area);
        if let Some((first, _)) = panes.first() {
            self.camera.follow(*first, self.scene.size());
        }
        let (w, h) = self.scene.size();
        let whole = scene_rect(0, 0, w, h);
        let tiled = self.scene.tiled.is_some();
        let pixels_per_point = ui.ctx().pixels_per_point();
        // The footprints' edges, once for every pane: what any pane can show of the scene.
        let seen = panes
            .iter()
            .map(|(rect, _)| self.camera.scene_rect(*rect))
            .reduce(|a, b| a.union(b));
        let outlines = Arc::new(self.outlines_for(seen, pixels_per_point, None));
        // Two models side by side: each pane without the other's outlines, named with its F1.
        let compared = (self.state.layout == super::Layout::Compare)
            .then(|| self.layers.compare.clone())
            .flatten();
        let per_pane: Vec<(Arc<Vec<_>>, String)> = match &compared {
            Some(c) => {
                let names = self.all_layers();
                let name = |k: usize| {
                    let layer = c.layers.get(k).and_then(|&l| names.get(l));
                    let stem = layer
                        .and_then(|l| l.path.file_stem())
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let f1 = c.scorings.get(k).map_or(0.0, |s| s.counts().f1());
                    format!("{}: {stem} · F1 {f1:.3}", ["A", "B"][k.min(1)])
                };
                let names: Vec<String> = (0..2).map(name).collect();
                names
                    .into_iter()
                    .enumerate()
                    .map(|(k, name)| {
                        let outlines = self.outlines_for(seen, pixels_per_point, Some(k));
                        (Arc::new(outlines), name)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let mut hovered = None;
        for (index, &(rect, mode)) in panes.iter().enumerate() {
            let response = ui.interact(
                rect,
                ui.scope_id().with(("pane", index)),
                egui::Sense::click_and_drag(),
            );
            if let Some(p) = self.pane_input(ui, &response, rect) {
                hovered = Some((p, response));
            }
            let settings = self.settings(mode);
            // Where the tiles of the view are all on the GPU they cover it: the overview
            // under them would be drawn for nothing (a second fill of the pane, which a
            // software rasterizer pays for).
            let wanted = self.tiles_wanted(rect, pixels_per_point);
            let covered = render.is_some_and(|render| {
                wanted
                    .as_ref()
                    .is_some_and(|(_, tiles)| tiles.iter().all(|k| tile_resident(render, k)))
            });
            // Drawn where the pane shows the scene, on whole pixels (the panel around it).
            if !covered
                && let Some((shown, window)) =
                    visible_part(self.camera.screen_rect(rect, whole), rect, pixels_per_point)
            {
                let mut uniform =
                    ViewUniform::new(&settings, self.scene.bands.width, self.scene.bands.height);
                uniform.window = window;
                uniform.checker = 1.0;
                let screen_px_per_texel = self.camera.zoom * pixels_per_point;
                if self.state.pixel_grid && !tiled && screen_px_per_texel >= GRID_FROM {
                    uniform.grid = screen_px_per_texel;
                }
                ui.painter().add(PaneCallback::<ViewResources>::shape(
                    shown,
                    ViewDraw {
                        pane: index,
                        tile: None,
                        uniform,
                    },
                ));
            }
            if let (Some(render), Some(wanted)) = (render, wanted) {
                self.draw_tiles(ui, render, (index, rect), &settings, wanted);
            }
            if let Some((region, (tw, th))) = self.overlay.shown_region()
                && let Some((shown, window)) = visible_part(
                    // The map's part of the scene.
                    self.camera.screen_rect(
                        rect,
                        scene_rect(region.x, region.y, region.width, region.height),
                    ),
                    rect,
                    pixels_per_point,
                )
            {
                let mut o = OverlayUniform::new(&self.overlay.settings, tw, th);
                o.window = window;
                ui.painter().add(PaneCallback::<OverlayResources>::shape(
                    shown,
                    OverlayDraw {
                        pane: index,
                        uniform: o,
                    },
                ));
            }
            // The pane's window onto the scene, as shares of it.
            let view = self.camera.scene_rect(rect);
            ui.painter().add(PaneCallback::<OutlineResources>::shape(
                rect,
                OutlineDraw {
                    pane: index,
                    uniform: OutlineUniform {
                        window: [
                            view.min.x / w as f32,
                            view.min.y / h as f32,
                            view.width() / w as f32,
                            view.height() / h as f32,
                        ],
                        scene: [w as f32, h as f32],
                        viewport: (rect.size() * pixels_per_point).into(),
                    },
                    segments: per_pane
                        .get(index)
                        .map_or_else(|| Arc::clone(&outlines), |(s, _)| Arc::clone(s)),
                },
            ));
            let painter = ui.painter().with_clip_rect(rect);
            self.draw_edit_overlay(&painter, rect);
            if panes.len() > 1 {
                let label = per_pane.get(index).map_or_else(
                    || self.scene.bands.mode_label(mode).to_string(),
                    |(_, name)| name.clone(),
                );
                ui.painter().text(
                    rect.left_top() + egui::vec2(6.0, 4.0),
                    egui::Align2::LEFT_TOP,
                    label,
                    egui::FontId::proportional(14.0),
                    egui::Color32::WHITE,
                );
            }
        }
        self.inspector.cursor = hovered.as_ref().map(|(p, _)| *p);
        // The shared cursor: a cross at the same scene position in every pane.
        if let Some(p) = self.inspector.cursor {
            for &(rect, _) in &panes {
                let at = self.camera.screen_from_scene(rect, p);
                if rect.contains(at) {
                    let stroke = egui::Stroke::new(1.0, egui::Color32::YELLOW);
                    let painter = ui.painter().with_clip_rect(rect);
                    painter.line_segment(
                        [at - egui::vec2(8.0, 0.0), at + egui::vec2(8.0, 0.0)],
                        stroke,
                    );
                    painter.line_segment(
                        [at - egui::vec2(0.0, 8.0), at + egui::vec2(0.0, 8.0)],
                        stroke,
                    );
                }
            }
        }
        if let Some((p, response)) = hovered
            && let Some(text) = self.inspect(p)
        {
            response.on_hover_text_at_pointer(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> egui::Rect {
        egui::Rect::from_min_max(egui::pos2(x0, y0), egui::pos2(x1, y1))
    }

    #[test]
    fn visible_part_is_the_clipped_image_on_whole_pixels() {
        // An image 900 points wide from x = 50.3 in a pane from 0 to 600, 2 pixels a point:
        // its left edge lands on pixel 101 (50.5 points), its right on the pane's edge.
        let (shown, window) = visible_part(
            rect(50.3, -100.0, 950.3, 800.0),
            rect(0.0, 0.0, 600.0, 400.0),
            2.0,
        )
        .unwrap();
        assert_eq!(shown, rect(50.5, 0.0, 600.0, 400.0));
        // The window maps the shown rect back onto the image exactly: the image's pixel under
        // a screen point is where it would be without the snapping.
        let at = |sx: f32, sy: f32| {
            let u = window[0] + (sx - shown.min.x) / shown.width() * window[2];
            let v = window[1] + (sy - shown.min.y) / shown.height() * window[3];
            (u * 900.0, v * 900.0)
        };
        for (sx, sy) in [(50.5, 0.0), (300.0, 123.0), (600.0, 400.0)] {
            let (x, y) = at(sx, sy);
            assert!((x - (sx - 50.3)).abs() < 1e-3, "{sx}: {x}");
            assert!((y - (sy + 100.0)).abs() < 1e-3, "{sy}: {y}");
        }
    }

    #[test]
    fn visible_part_is_none_off_the_pane() {
        let pane = rect(0.0, 0.0, 600.0, 400.0);
        assert!(visible_part(rect(600.0, 0.0, 900.0, 300.0), pane, 1.0).is_none());
        // Less than half a pixel in the pane rounds to nothing.
        assert!(visible_part(rect(-300.0, 0.0, 0.2, 300.0), pane, 2.0).is_none());
        assert!(visible_part(rect(-300.0, 0.0, 0.3, 300.0), pane, 2.0).is_some());
    }
}
