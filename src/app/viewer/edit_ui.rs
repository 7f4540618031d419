//! Editing footprints in the panes, with the conventions of CVAT and LabelMe: select and drag
//! a footprint, drag a vertex, click the ghost point in the middle of an edge to insert one,
//! Delete removes the vertex under the pointer or the footprint; the draw tool adds a polygon
//! point by point (Enter or double-click closes, Esc cancels, Backspace takes the last point
//! back). Ctrl+Z / Ctrl+Shift+Z undo and redo everything; F1 shows the shortcuts. Every edit
//! is saved beside the scene at once.

use eframe::egui;
use geo::{BooleanOps, Coord};

use super::Viewer;
use super::edit::{Drag, SHORTCUTS, Tool, coord};
use crate::annotate::edit::VertexRef;

/// How near (screen points) the pointer must be to grab a vertex or a ghost point.
const GRAB: f32 = 7.0;

impl Viewer {
    /// Keys of the tools; called once a frame.
    pub(super) fn edit_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let redo = ctx.input_mut(|i| {
            i.consume_key(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::Z,
            )
        });
        let undo = ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z));
        if redo {
            self.redo();
        } else if undo {
            self.undo();
        }
        let pressed = |key| ctx.input(|i| i.key_pressed(key) && i.modifiers.is_none());
        if pressed(egui::Key::F1)
            || ctx.input(|i| {
                i.events
                    .iter()
                    .any(|e| matches!(e, egui::Event::Text(t) if t == "?"))
            })
        {
            self.show_help = !self.show_help;
        }
        if pressed(egui::Key::E) {
            self.set_tool(Tool::Edit);
        }
        if pressed(egui::Key::D) {
            self.set_tool(Tool::Draw);
        }
        if pressed(egui::Key::N) {
            self.set_tool(Tool::Navigate);
        }
        if pressed(egui::Key::S) && self.edit.selected.is_some() {
            self.set_tool(Tool::Split);
        }
        if pressed(egui::Key::Q) {
            self.regularize_selected_or_in_view();
        }
        if pressed(egui::Key::M) {
            let merged = self.edit.merge_selected();
            self.after_edit(merged);
        }
        if pressed(egui::Key::R)
            && let Err(e) = self.revectorize_selected(self.edit.revector_threshold)
        {
            self.edit.message = Some(e.to_string());
        }
        match self.edit.tool {
            Tool::Draw => {
                if pressed(egui::Key::Enter) {
                    let closed = self.edit.close_draft();
                    self.after_edit(closed);
                }
                if pressed(egui::Key::Backspace) {
                    self.edit.draft.pop();
                }
                if pressed(egui::Key::Escape) {
                    if self.edit.draft.is_empty() {
                        self.set_tool(Tool::Navigate);
                    }
                    self.edit.draft.clear();
                }
            }
            Tool::Edit => {
                if pressed(egui::Key::Delete) || pressed(egui::Key::Backspace) {
                    let deleted = self.edit.delete_at_pointer();
                    self.after_edit(deleted);
                }
                if pressed(egui::Key::Escape) {
                    self.set_tool(Tool::Navigate);
                }
            }
            Tool::Split => {
                if pressed(egui::Key::Escape) {
                    self.set_tool(Tool::Edit);
                }
            }
            Tool::Navigate => {}
        }
    }

    /// The vertex of the selected footprint within reach of screen point `at`.
    fn vertex_near(&self, at: egui::Pos2, rect: egui::Rect) -> Option<VertexRef> {
        self.edit
            .selected_rings()
            .into_iter()
            .find_map(|(footprint, part, ring, line)| {
                let n = line.0.len().saturating_sub(1);
                let vertex = line
                    .0
                    .iter()
                    .take(n)
                    .position(|c| self.to_screen(rect, *c).distance(at) <= GRAB)?;
                Some(VertexRef {
                    footprint,
                    part,
                    ring,
                    vertex,
                })
            })
    }

    /// The ghost point (middle of an edge of the selected footprint) within reach of `at`:
    /// the vertex the edge starts at and the point.
    fn ghost_near(&self, at: egui::Pos2, rect: egui::Rect) -> Option<(VertexRef, Coord<f64>)> {
        self.edit
            .selected_rings()
            .into_iter()
            .find_map(|(footprint, part, ring, line)| {
                line.0.windows(2).enumerate().find_map(|(vertex, pair)| {
                    let (a, b) = (pair[0], pair[1]);
                    let mid = Coord {
                        x: (a.x + b.x) / 2.0,
                        y: (a.y + b.y) / 2.0,
                    };
                    (self.to_screen(rect, mid).distance(at) <= GRAB).then_some((
                        VertexRef {
                            footprint,
                            part,
                            ring,
                            vertex,
                        },
                        mid,
                    ))
                })
            })
    }

    /// Where scene coordinate `c` is on the screen in the pane `rect`.
    fn to_screen(&self, rect: egui::Rect, c: Coord<f64>) -> egui::Pos2 {
        self.camera
            .screen_from_scene(rect, egui::vec2(c.x as f32, c.y as f32))
    }

    /// The tools' pointer work in one pane; true when it used the drag (no panning then).
    pub(super) fn edit_pointer(&mut self, response: &egui::Response, rect: egui::Rect) -> bool {
        let camera = self.camera;
        let scene_at = |pos: egui::Pos2| camera.scene_from_screen(rect, pos);
        match self.edit.tool {
            Tool::Navigate => false,
            Tool::Draw => {
                if response.double_clicked() {
                    let closed = self.edit.close_draft();
                    self.after_edit(closed);
                } else if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let snapped = self.snap(&response.ctx, scene_at(pos), None);
                    self.edit.draft.push(snapped);
                }
                false
            }
            Tool::Split => {
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let split = self.edit.split_point(coord(scene_at(pos)));
                    self.after_edit(split);
                }
                false
            }
            Tool::Edit => {
                if let Some(pos) = response.hover_pos() {
                    self.edit.selected_vertex = self.vertex_near(pos, rect);
                }
                if response.drag_started()
                    && let Some(pos) = ctx_press_origin(response)
                {
                    self.edit.drag = if let Some(v) = self.vertex_near(pos, rect) {
                        Some(Drag::Vertex(v))
                    } else {
                        let p = scene_at(pos);
                        match (self.edit.selected, self.edit.pick(p)) {
                            (Some(s), Some(i)) if s == i => Some(Drag::Body(i)),
                            _ => None,
                        }
                    };
                    self.edit.drag_from = scene_at(pos);
                }
                if let Some(drag) = self.edit.drag {
                    let mut now = response
                        .interact_pointer_pos()
                        .map(scene_at)
                        .unwrap_or(self.edit.drag_from);
                    let mut target = coord(now);
                    if let Drag::Vertex(v) = drag {
                        target = self.snap(&response.ctx, now, Some(v.footprint));
                        now = egui::vec2(target.x as f32, target.y as f32);
                    }
                    self.edit.drag_to = now;
                    if response.drag_stopped() {
                        let moved = self.edit.finish_drag(drag, now, target);
                        self.after_edit(moved);
                    }
                    return true;
                }
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let shift = response.ctx.input(|i| i.modifiers.shift);
                    if shift {
                        self.edit.merge_with = self
                            .edit
                            .pick(scene_at(pos))
                            .filter(|i| Some(*i) != self.edit.selected);
                    } else if let Some((v, at)) = self.ghost_near(pos, rect) {
                        let inserted = self.edit.insert_vertex(v, at);
                        self.after_edit(inserted);
                    } else {
                        self.edit.selected = self.edit.pick(scene_at(pos));
                        self.edit.merge_with = None;
                    }
                }
                false
            }
        }
    }

    /// `p` moved onto the nearest vertex, else the nearest edge point, of the other footprints
    /// (every visible layer; in the edits, all but `skip`) within reach on screen. Ctrl held
    /// turns snapping off.
    fn snap(&self, ctx: &egui::Context, p: egui::Vec2, skip: Option<usize>) -> Coord<f64> {
        use geo::{Closest, ClosestPoint};
        // Ctrl now, or on the click this frame (the click's own modifiers, in case the key
        // was let go in the same frame).
        let free = ctx.input(|i| {
            i.modifiers.command
                || i.events.iter().any(|e| {
                    matches!(e, egui::Event::PointerButton { modifiers, .. } if modifiers.command)
                })
        });
        if free {
            return coord(p);
        }
        let reach = f64::from(GRAB / self.camera.zoom);
        let point = geo::Point::new(f64::from(p.x), f64::from(p.y));
        let mut best_vertex: Option<(f64, Coord<f64>)> = None;
        let mut best_edge: Option<(f64, Coord<f64>)> = None;
        let edited = self.all_layers().len().saturating_sub(1);
        for (l, layer) in self.all_layers().into_iter().enumerate() {
            if !layer.visible {
                continue;
            }
            for (i, f) in layer.footprints.iter().enumerate() {
                if self.edit.editor.is_some() && l == edited && Some(i) == skip {
                    continue;
                }
                for c in f.polygon.rings().flat_map(|r| r.0.iter()) {
                    let d = (c.x - point.x()).hypot(c.y - point.y());
                    if d <= reach && best_vertex.is_none_or(|(b, _)| d < b) {
                        best_vertex = Some((d, *c));
                    }
                }
                for ring in f.polygon.rings() {
                    if let Closest::SinglePoint(q) | Closest::Intersection(q) =
                        ring.closest_point(&point)
                    {
                        let d = (q.x() - point.x()).hypot(q.y() - point.y());
                        if d <= reach && best_edge.is_none_or(|(b, _)| d < b) {
                            best_edge = Some((d, q.0));
                        }
                    }
                }
            }
        }
        best_vertex.or(best_edge).map_or(coord(p), |(_, c)| c)
    }

    /// Handles of the selected footprint, the drag's preview and the polygon being drawn.
    pub(super) fn draw_edit_overlay(&self, painter: &egui::Painter, rect: egui::Rect) {
        let yellow = egui::Color32::YELLOW;
        let edit = &self.edit;
        if let (Some(index), Some(editor)) = (edit.selected, &edit.editor)
            && let Some(f) = editor.footprints().get(index)
        {
            let moved = |c: Coord<f64>, vertex: Option<VertexRef>| -> egui::Pos2 {
                let p = self.to_screen(rect, c);
                match edit.drag {
                    Some(Drag::Body(_)) => p + (edit.drag_to - edit.drag_from) * self.camera.zoom,
                    Some(Drag::Vertex(v)) if Some(v) == vertex => {
                        self.camera.screen_from_scene(rect, edit.drag_to)
                    }
                    _ => p,
                }
            };
            for (part, polygon) in f.polygon.0.iter().enumerate() {
                for (ring, line) in polygon.rings().enumerate() {
                    let n = line.0.len().saturating_sub(1);
                    let points: Vec<egui::Pos2> = line
                        .0
                        .iter()
                        .take(n)
                        .enumerate()
                        .map(|(vertex, c)| {
                            let v = VertexRef {
                                footprint: index,
                                part,
                                ring,
                                vertex,
                            };
                            moved(*c, Some(v))
                        })
                        .collect();
                    painter.add(egui::Shape::closed_line(
                        points.clone(),
                        egui::Stroke::new(2.5, yellow),
                    ));
                    for (k, p) in points.iter().enumerate() {
                        let hot = edit
                            .selected_vertex
                            .is_some_and(|v| v.part == part && v.ring == ring && v.vertex == k);
                        let size = if hot { 5.0 } else { 3.5 };
                        painter.rect_filled(
                            egui::Rect::from_center_size(*p, egui::vec2(size, size) * 2.0),
                            0.0,
                            if hot { egui::Color32::WHITE } else { yellow },
                        );
                        let next = points[(k + 1) % points.len()];
                        painter.circle_stroke(
                            p.lerp(next, 0.5),
                            3.0,
                            egui::Stroke::new(1.0, yellow),
                        );
                    }
                }
            }
        }
        if let (Some(index), Some(editor)) = (edit.merge_with, &edit.editor)
            && let Some(f) = editor.footprints().get(index)
        {
            for polygon in &f.polygon.0 {
                let points: Vec<egui::Pos2> = polygon
                    .exterior()
                    .0
                    .iter()
                    .map(|c| self.to_screen(rect, *c))
                    .collect();
                painter.add(egui::Shape::closed_line(
                    points,
                    egui::Stroke::new(2.5, egui::Color32::from_rgb(0, 220, 255)),
                ));
            }
        }
        if !edit.draft.is_empty() {
            let points: Vec<egui::Pos2> = edit
                .draft
                .iter()
                .map(|c| self.to_screen(rect, *c))
                .collect();
            painter.add(egui::Shape::line(
                points.clone(),
                egui::Stroke::new(2.0, yellow),
            ));
            for p in points {
                painter.circle_filled(p, 3.5, yellow);
            }
        }
    }

    /// The tool buttons, undo/redo, the last refusal, and the shortcuts window.
    /// The annotator's tool strip, always in view above the status bar: the tools and undo/redo
    /// with their shortcuts, the shortcut table, Export, and what the last edit or save said.
    pub(super) fn tool_strip_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for (tool, label, key, what) in [
                (Tool::Navigate, "navigate", "N", "pan and zoom"),
                (
                    Tool::Edit,
                    "edit",
                    "E",
                    "select, drag footprints and vertices",
                ),
                (
                    Tool::Draw,
                    "draw",
                    "D",
                    "click the corners of a new footprint",
                ),
                (
                    Tool::Split,
                    "split",
                    "S",
                    "split the selected footprint along two clicks",
                ),
            ] {
                if ui
                    .selectable_label(self.edit.tool == tool, format!("{label} {key}"))
                    .on_hover_text(format!("{what} ({key})"))
                    .clicked()
                {
                    self.set_tool(tool);
                }
            }
            ui.separator();
            if ui
                .button("right angles Q")
                .on_hover_text(
                    "straighten the selected footprint to right angles, or with none \
                     selected every edited footprint in view (Q)",
                )
                .clicked()
            {
                self.regularize_selected_or_in_view();
            }
            ui.separator();
            let (can_undo, can_redo) = self
                .edit
                .editor
                .as_ref()
                .map_or((false, false), |e| (e.can_undo(), e.can_redo()));
            if ui
                .add_enabled(can_undo, egui::Button::new("undo Ctrl+Z"))
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(can_redo, egui::Button::new("redo Ctrl+Shift+Z"))
                .clicked()
            {
                self.redo();
            }
            if ui.button("? F1").on_hover_text("all shortcuts").clicked() {
                self.show_help = !self.show_help;
            }
            ui.separator();
            ui.checkbox(&mut self.edit.export_wgs84, "WGS 84")
                .on_hover_text("export longitude/latitude (RFC 7946) instead of the scene's CRS");
            if ui
                .button("Export…")
                .on_hover_text("the edits (or predictions) as GeoJSON, SpaceNet CSV or GeoPackage")
                .clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("GeoPackage", &["gpkg"])
                    .add_filter("GeoJSON", &["geojson"])
                    .add_filter("SpaceNet CSV", &["csv"])
                    .save_file()
            {
                self.edit.message = Some(match self.export(&path, self.edit.export_wgs84) {
                    Ok(n) => format!("exported {n} footprints to {}", path.display()),
                    Err(e) => format!("export failed: {e}"),
                });
            }
            if let Some(message) = &self.edit.message {
                ui.separator();
                ui.colored_label(ui.visuals().warn_fg_color, message);
            }
        });
    }

    pub(super) fn tools_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui.button("Open probabilities…").on_hover_text("a probability GeoTIFF of this scene (sarscope predict), to re-vectorize buildings").clicked()
                && let Some(path) = rfd::FileDialog::new().add_filter("GeoTIFF", &["tif", "tiff"]).pick_file()
                && let Err(e) = self.set_probabilities(&path)
            {
                self.edit.message = Some(e.to_string());
            }
            if self.scene.probabilities.is_some() && self.edit.selected.is_some() {
                ui.add(egui::Slider::new(&mut self.edit.revector_threshold, 0.05..=0.95).text("threshold"));
                if ui.button("Re-vectorize").on_hover_text("trace the selected building again at this threshold (R)").clicked()
                    && let Err(e) = self.revectorize_selected(self.edit.revector_threshold)
                {
                    self.edit.message = Some(e.to_string());
                }
            }
        });
        if let Some(editor) = &self.edit.editor {
            ui.weak(format!(
                "{} edited footprints, saved to {}",
                editor.footprints().len(),
                editor.layer.path.display()
            ));
        }
    }

    pub(super) fn help_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_help;
        egui::Window::new("Shortcuts")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (key, what) in SHORTCUTS {
                        ui.monospace(key);
                        ui.label(what);
                        ui.end_row();
                    }
                });
            });
        self.show_help = open;
    }
}

/// Where the press that started a drag was (a drag starts after the pointer moved a little).
fn ctx_press_origin(response: &egui::Response) -> Option<egui::Pos2> {
    response.ctx.input(|i| i.pointer.press_origin())
}
