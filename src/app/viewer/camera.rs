//! The camera every pane shares: which scene pixel is at a pane's centre and how many screen
//! points a scene pixel takes. The one place scene and screen positions are converted.

use eframe::egui::{Pos2, Rect, Vec2, vec2};

use crate::raster::Window;

/// The zoom's range, screen points per scene pixel.
const ZOOM_MIN: f32 = 0.01;
const ZOOM_MAX: f32 = 256.0;

/// Where the panes look. A new camera fits the scene to the pane at the next frame and keeps
/// it fitted as the pane's size changes (egui's first frames lay the side panel out before its
/// width settles; a resized window keeps the scene whole) until the user pans or zooms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    /// The scene pixel position at the centre of every pane.
    pub center: Vec2,
    /// Screen points per scene pixel.
    pub zoom: f32,
    auto_fit: bool,
    /// The pane the camera was last fitted to.
    fitted_to: Option<Rect>,
    /// The first pane (the single view, or the grid's top left) in the last frame.
    pane: Rect,
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            center: Vec2::ZERO,
            zoom: 1.0,
            auto_fit: true,
            fitted_to: None,
            pane: Rect::NOTHING,
        }
    }
}

impl Camera {
    /// A camera on the centre of a scene of `size` pixels, fitted at the next frame.
    pub fn centered(size: (usize, usize)) -> Self {
        Self {
            center: vec2(size.0 as f32 / 2.0, size.1 as f32 / 2.0),
            ..Self::default()
        }
    }

    /// The scene position under screen point `p_screen` of the pane `pane`.
    pub fn scene_from_screen(&self, pane: Rect, p_screen: Pos2) -> Vec2 {
        self.center + (p_screen - pane.center()) / self.zoom
    }

    /// Where scene position `p_scene` is on the screen in the pane `pane`.
    pub fn screen_from_scene(&self, pane: Rect, p_scene: Vec2) -> Pos2 {
        pane.center() + (p_scene - self.center) * self.zoom
    }

    /// The part of the scene (scene pixels) a pane of `pane`'s size shows.
    pub fn scene_rect(&self, pane: Rect) -> Rect {
        Rect::from_center_size(self.center.to_pos2(), pane.size() / self.zoom)
    }

    /// Where the scene's rectangle `r_scene` (scene pixels) is on the screen in `pane`.
    pub fn screen_rect(&self, pane: Rect, r_scene: Rect) -> Rect {
        Rect::from_min_max(
            self.screen_from_scene(pane, r_scene.min.to_vec2()),
            self.screen_from_scene(pane, r_scene.max.to_vec2()),
        )
    }

    /// Zooms by `factor` about screen point `p_screen` of `pane`: the scene position under it
    /// stays under it.
    pub fn zoom_about(&mut self, pane: Rect, p_screen: Pos2, factor: f32) {
        let under = self.scene_from_screen(pane, p_screen);
        self.zoom = (self.zoom * factor).clamp(ZOOM_MIN, ZOOM_MAX);
        self.center = under - (p_screen - pane.center()) / self.zoom;
        self.auto_fit = false;
    }

    /// Moves the scene by `delta_screen` screen points (a drag).
    pub fn pan(&mut self, delta_screen: Vec2) {
        self.center -= delta_screen / self.zoom;
        self.auto_fit = false;
    }

    /// Puts the camera where the user asks: no longer fitted.
    pub fn set(&mut self, center: Vec2, zoom: f32) {
        self.center = center;
        self.zoom = zoom;
        self.auto_fit = false;
    }

    /// Fits the scene to the pane from the next frame on, and keeps it fitted as the pane's
    /// size changes until the user moves the camera.
    pub fn refit(&mut self) {
        self.auto_fit = true;
        self.fitted_to = None;
    }

    /// The whole scene of `size` pixels in `pane`, centred.
    pub fn fit(&mut self, pane: Rect, size: (usize, usize)) {
        let (w, h) = (size.0 as f32, size.1 as f32);
        self.zoom = (pane.width() / w).min(pane.height() / h);
        self.center = vec2(w / 2.0, h / 2.0);
    }

    /// Called each frame with the first pane: fits the scene of `size` pixels to it while the
    /// camera follows the pane.
    pub fn follow(&mut self, pane: Rect, size: (usize, usize)) {
        self.pane = pane;
        if self.auto_fit && self.fitted_to != Some(pane) {
            self.fit(pane, size);
            self.fitted_to = Some(pane);
        }
    }

    /// The first pane in the last frame (`Rect::NOTHING` before the first).
    pub fn pane(&self) -> Rect {
        self.pane
    }

    /// The full-resolution pixels the first pane shows of a scene of `size` pixels, clamped
    /// to it (empty before the first frame).
    pub fn visible_window(&self, size: (usize, usize)) -> Window {
        if !self.pane.is_positive() {
            return Window {
                x: 0,
                y: 0,
                width: 0,
                height: 0,
            };
        }
        let seen = self.scene_rect(self.pane);
        let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
        let (x0, y0) = (
            clamp(seen.min.x.floor(), size.0),
            clamp(seen.min.y.floor(), size.1),
        );
        let (x1, y1) = (
            clamp(seen.max.x.ceil(), size.0),
            clamp(seen.max.y.ceil(), size.1),
        );
        Window {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eframe::egui::pos2;

    fn pane() -> Rect {
        Rect::from_min_max(pos2(100.0, 50.0), pos2(900.0, 650.0))
    }

    #[test]
    fn scene_and_screen_convert_both_ways() {
        let mut camera = Camera::centered((900, 900));
        camera.set(vec2(300.0, 200.0), 2.5);
        for p in [pos2(100.0, 50.0), pos2(512.3, 400.7), pos2(899.0, 649.0)] {
            let back = camera.screen_from_scene(pane(), camera.scene_from_screen(pane(), p));
            assert!(back.distance(p) < 1e-3, "{p:?} -> {back:?}");
        }
        // The pane's centre shows the camera's centre.
        assert_eq!(
            camera.scene_from_screen(pane(), pane().center()),
            camera.center
        );
    }

    #[test]
    fn zoom_about_keeps_the_pixel_under_the_pointer() {
        let mut camera = Camera::centered((900, 900));
        camera.fit(pane(), (900, 900));
        let pointer = pos2(700.0, 120.0);
        let before = camera.scene_from_screen(pane(), pointer);
        camera.zoom_about(pane(), pointer, 3.0);
        let after = camera.scene_from_screen(pane(), pointer);
        assert!((before - after).length() < 1e-3, "{before:?} vs {after:?}");
        // The zoom is bounded.
        camera.zoom_about(pane(), pointer, 1e9);
        assert_eq!(camera.zoom, ZOOM_MAX);
    }

    #[test]
    fn a_fitted_camera_follows_the_pane_until_moved() {
        let mut camera = Camera::centered((900, 450));
        camera.follow(pane(), (900, 450));
        // 800 x 600 points: the width decides.
        assert!((camera.zoom - 800.0 / 900.0).abs() < 1e-6);
        let wider = Rect::from_min_max(pos2(0.0, 0.0), pos2(1800.0, 600.0));
        camera.follow(wider, (900, 450));
        assert!((camera.zoom - 600.0 / 450.0).abs() < 1e-6);
        camera.pan(vec2(10.0, 0.0));
        let zoom = camera.zoom;
        camera.follow(pane(), (900, 450));
        assert_eq!(
            camera.zoom, zoom,
            "a moved camera stays where the user put it"
        );
        camera.refit();
        camera.follow(pane(), (900, 450));
        assert!((camera.zoom - 800.0 / 900.0).abs() < 1e-6);
    }

    #[test]
    fn the_visible_window_is_clamped_to_the_scene() {
        let mut camera = Camera::default();
        assert_eq!(camera.visible_window((900, 900)).width, 0, "no pane yet");
        camera.follow(pane(), (900, 900));
        // Fitted: 600 points high for 900 px, the whole scene in view.
        let all = camera.visible_window((900, 900));
        assert_eq!((all.x, all.y, all.width, all.height), (0, 0, 900, 900));
        camera.set(vec2(100.0, 100.0), 1.0);
        // 800 x 600 pixels about (100, 100), cut at the scene's top-left corner.
        let corner = camera.visible_window((900, 900));
        assert_eq!((corner.x, corner.y), (0, 0));
        assert_eq!((corner.width, corner.height), (500, 400));
    }
}
