//! Editing footprints in the panes, with the conventions of CVAT and LabelMe: select and drag
//! a footprint, drag a vertex, click the ghost point in the middle of an edge to insert one,
//! Delete removes the vertex under the pointer or the footprint; the draw tool adds a polygon
//! point by point (Enter or double-click closes, Esc cancels, Backspace takes the last point
//! back). Ctrl+Z / Ctrl+Shift+Z undo and redo everything; F1 shows the shortcuts. Every edit
//! is saved beside the scene at once.

use eframe::egui;
use geo::Coord;

use super::Viewer;
use crate::annotate::edit::{EditableLayer, VertexRef};
use crate::annotate::{Layer, Role, journal};

/// How near (screen points) the pointer must be to grab a vertex or a ghost point.
const GRAB: f32 = 7.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Pan, zoom, pick.
    Navigate,
    /// Select, move, reshape, delete.
    Edit,
    /// Add polygons.
    Draw,
    /// Split the selected footprint along a line of two clicks.
    Split,
}

/// A drag in progress on the edits layer.
#[derive(Clone, Copy, Debug)]
pub(super) enum Drag {
    Vertex(VertexRef),
    Body(usize),
}

/// The shortcuts, one table for the help window and the README.
pub const SHORTCUTS: [(&str, &str); 16] = [
    ("E", "edit tool: select, drag footprints and vertices"),
    ("D", "draw tool: click the corners of a new footprint"),
    ("N or Esc (no drawing)", "navigate: pan and zoom"),
    (
        "click the ghost point",
        "insert a vertex in the middle of an edge",
    ),
    ("Shift+click", "select a second footprint, to merge with"),
    ("M", "merge the two selected footprints (they must touch)"),
    (
        "S, then two clicks",
        "split the selected footprint along that line",
    ),
    (
        "R",
        "re-vectorize the selected building from the probability map",
    ),
    (
        "Delete",
        "delete the vertex under the pointer, else the selected footprint",
    ),
    ("Enter or double-click", "close the polygon being drawn"),
    ("Backspace", "take back the last point drawn"),
    ("Esc", "cancel the polygon being drawn"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z", "redo"),
    (
        "wheel / drag",
        "zoom about the pointer / pan (on empty ground)",
    ),
    ("F1 or ?", "this table"),
];

fn coord(p: egui::Vec2) -> Coord<f64> {
    Coord {
        x: f64::from(p.x),
        y: f64::from(p.y),
    }
}

impl Viewer {
    pub fn tool(&self) -> Tool {
        self.tool
    }

    pub fn set_tool(&mut self, tool: Tool) {
        if tool != Tool::Navigate {
            self.start_editing();
        }
        if tool != Tool::Draw {
            self.draft.clear();
        }
        self.tool = tool;
    }

    /// Why the last edit was refused (or the edits could not be saved).
    pub fn edit_message(&self) -> Option<&str> {
        self.edit_message.as_deref()
    }

    /// Writes the edited footprints (or the predictions when nothing is edited) to `path`
    /// (.geojson, .csv or .gpkg) with their IoU against the ground truth and their area, in the
    /// scene's CRS or, with `wgs84`, in longitude/latitude (RFC 7946).
    pub fn export(&self, path: &std::path::Path, wgs84: bool) -> Result<usize, String> {
        use geo::Area;
        let layers = self.all_layers();
        let source = match &self.editor {
            Some(editor) => Some(&editor.layer),
            None => layers
                .iter()
                .copied()
                .find(|l| l.role == Role::Predictions && l.visible),
        }
        .ok_or("there are no predictions or edits to export")?;
        let mut items = source.footprints.clone();
        if let Some(scoring) = &self.scoring {
            for (f, scored) in items.iter_mut().zip(&scoring.predictions) {
                f.iou = scored.map(|(_, iou)| iou);
            }
        }
        let set = crate::io::Footprints {
            items,
            space: crate::io::Space::Pixel,
            image_id: self.scene.files.first().map(|f| crate::io::image_id_of(f)),
        };
        let format = crate::io::Format::of(path).map_err(|e| e.to_string())?;
        let mut set = if format.is_pixel() {
            set
        } else {
            let grid = self
                .scene
                .grid
                .as_ref()
                .ok_or("the scene has no geotransform: export as .csv (pixels)")?;
            set.into_world(grid)
        };
        if let crate::io::Space::World { epsg: Some(e) } = set.space
            && e != 4326
        {
            for f in &mut set.items {
                f.area_m2 = Some(f.polygon.unsigned_area());
            }
        }
        if wgs84 {
            if format.is_pixel() {
                return Err("a SpaceNet CSV holds pixels, not longitude/latitude".into());
            }
            set = set.into_wgs84()?;
        }
        crate::io::write_footprints(path, &set).map_err(|e| e.to_string())?;
        Ok(set.items.len())
    }

    /// Opens a probability map (one band, the scene's size) for re-vectorizing buildings.
    pub fn set_probabilities(&mut self, path: &std::path::Path) -> Result<(), String> {
        let size = self.scene.size();
        let probs = crate::app::load_probabilities(path, size).map_err(|e| format!("{e:#}"))?;
        self.scene.probabilities = Some(probs);
        self.overlay_dirty = true;
        self.score_probabilities();
        Ok(())
    }

    /// Traces the selected edited footprint again from the probability map at `threshold`.
    pub fn revectorize_selected(&mut self, threshold: f32) -> Result<(), String> {
        let probs = self
            .scene
            .probabilities
            .as_ref()
            .ok_or("open a probability map first")?;
        let index = self.selected_edit.ok_or("select a footprint first")?;
        let editor = self.editor.as_mut().ok_or("start editing first")?;
        let footprint = editor
            .footprints()
            .get(index)
            .ok_or("the selection is gone")?;
        let (polygon, confidence) =
            crate::annotate::revectorize::revectorize(probs, &footprint.polygon, threshold)
                .ok_or(format!("nothing above {threshold} under this footprint"))?;
        let result = editor.reshape_to(index, polygon, confidence);
        let ok = result.is_ok();
        self.report(result);
        if ok {
            Ok(())
        } else {
            Err(self.edit_message.clone().unwrap_or_default())
        }
    }

    /// The layer being edited, if editing has started.
    pub fn edits(&self) -> Option<&EditableLayer> {
        self.editor.as_ref()
    }

    /// Makes the edits layer: the saved edits, else a copy of the predictions, else empty.
    fn start_editing(&mut self) {
        if self.editor.is_some() {
            return;
        }
        let Some(file) = self.scene.files.first() else {
            return;
        };
        let mut layer = match self.scene.edits.take() {
            Some(saved) => saved,
            None => {
                let from = self
                    .scene
                    .layers
                    .iter()
                    .find(|l| l.role == Role::Predictions && l.visible);
                Layer {
                    role: Role::Predictions,
                    path: journal::sidecar_path(file, self.scene.grid.is_some()),
                    footprints: from.map(|l| l.footprints.clone()).unwrap_or_default(),
                    visible: true,
                    locked: false,
                    width: 2.0,
                }
            }
        };
        layer.locked = false;
        // The edits replace the predictions they started from in the view and the score.
        for l in &mut self.scene.layers {
            if l.role == Role::Predictions {
                l.visible = false;
            }
        }
        self.editor = Some(EditableLayer::new(layer));
        self.edited();
    }

    /// After every edit: the score again, and the edits saved beside the scene.
    fn edited(&mut self) {
        self.rescore();
        let (Some(editor), Some(file)) = (&self.editor, self.scene.files.first()) else {
            return;
        };
        if let Err(e) = journal::save(file, self.scene.grid.as_ref(), editor.footprints()) {
            self.edit_message = Some(format!("could not save the edits: {e}"));
        }
    }

    fn report(&mut self, result: Result<(), crate::annotate::edit::EditError>) {
        match result {
            Ok(()) => {
                self.edit_message = None;
                self.edited();
            }
            Err(e) => self.edit_message = Some(format!("refused: {e}")),
        }
    }

    pub fn undo(&mut self) {
        if self.editor.as_mut().is_some_and(EditableLayer::undo) {
            self.selected_vertex = None;
            self.edited();
        }
    }

    pub fn redo(&mut self) {
        if self.editor.as_mut().is_some_and(EditableLayer::redo) {
            self.edited();
        }
    }

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
        if pressed(egui::Key::S) && self.selected_edit.is_some() {
            self.set_tool(Tool::Split);
        }
        if pressed(egui::Key::M) {
            self.merge_selected();
        }
        if pressed(egui::Key::R)
            && let Err(e) = self.revectorize_selected(self.revector_threshold)
        {
            self.edit_message = Some(e);
        }
        match self.tool {
            Tool::Draw => {
                if pressed(egui::Key::Enter) {
                    self.close_draft();
                }
                if pressed(egui::Key::Backspace) {
                    self.draft.pop();
                }
                if pressed(egui::Key::Escape) {
                    if self.draft.is_empty() {
                        self.set_tool(Tool::Navigate);
                    }
                    self.draft.clear();
                }
            }
            Tool::Edit => {
                if pressed(egui::Key::Delete) || pressed(egui::Key::Backspace) {
                    self.delete_at_pointer();
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

    fn merge_selected(&mut self) {
        let (Some(a), Some(b)) = (self.selected_edit, self.merge_with) else {
            self.edit_message = Some("select a footprint, then Shift+click a second one".into());
            return;
        };
        let result = self.editor.as_mut().map(|e| e.merge(a, b));
        if let Some(result) = result {
            if result.is_ok() {
                self.merge_with = None;
                self.selected_edit = Some(if b < a { a - 1 } else { a });
            }
            self.report(result);
        }
    }

    fn close_draft(&mut self) {
        let points = std::mem::take(&mut self.draft);
        let Some(editor) = &mut self.editor else {
            return;
        };
        let result = editor.add(&points).map(|i| self.selected_edit = Some(i));
        if result.is_err() {
            // Keep the points so the user can fix the polygon.
            self.draft = points;
        }
        self.report(result);
    }

    fn delete_at_pointer(&mut self) {
        let Some(index) = self.selected_edit else {
            return;
        };
        let result = match self.selected_vertex.take() {
            Some(v) => self.editor.as_mut().map(|e| e.delete_vertex(v)),
            None => {
                self.selected_edit = None;
                self.editor.as_mut().map(|e| e.delete(index))
            }
        };
        if let Some(result) = result {
            self.report(result);
        }
    }

    /// The rings of the selected edited footprint: (its index, part, ring, the ring).
    fn selected_rings(&self) -> Vec<(usize, usize, usize, &geo::LineString<f64>)> {
        let Some(index) = self.selected_edit else {
            return Vec::new();
        };
        let Some(f) = self.editor.as_ref().and_then(|e| e.footprints().get(index)) else {
            return Vec::new();
        };
        f.polygon
            .0
            .iter()
            .enumerate()
            .flat_map(|(part, polygon)| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .enumerate()
                    .map(move |(ring, line)| (index, part, ring, line))
            })
            .collect()
    }

    /// The vertex of the selected footprint within reach of screen point `at`.
    fn vertex_near(&self, at: egui::Pos2, rect: egui::Rect) -> Option<VertexRef> {
        self.selected_rings()
            .into_iter()
            .find_map(|(footprint, part, ring, line)| {
                let n = line.0.len().saturating_sub(1);
                let vertex = line
                    .0
                    .iter()
                    .take(n)
                    .position(|c| self.to_screen(rect, c.x, c.y).distance(at) <= GRAB)?;
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
        self.selected_rings()
            .into_iter()
            .find_map(|(footprint, part, ring, line)| {
                line.0.windows(2).enumerate().find_map(|(vertex, pair)| {
                    let (a, b) = (pair[0], pair[1]);
                    let mid = Coord {
                        x: (a.x + b.x) / 2.0,
                        y: (a.y + b.y) / 2.0,
                    };
                    (self.to_screen(rect, mid.x, mid.y).distance(at) <= GRAB).then_some((
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

    pub(super) fn to_screen(&self, rect: egui::Rect, x: f64, y: f64) -> egui::Pos2 {
        rect.center() + (egui::vec2(x as f32, y as f32) - self.center) * self.zoom
    }

    /// The tools' pointer work in one pane; true when it used the drag (no panning then).
    pub(super) fn edit_pointer(&mut self, response: &egui::Response, rect: egui::Rect) -> bool {
        let scene_at = |pos: egui::Pos2| self.center + (pos - rect.center()) / self.zoom;
        match self.tool {
            Tool::Navigate => false,
            Tool::Draw => {
                if response.double_clicked() {
                    self.close_draft();
                } else if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let snapped = self.snap(&response.ctx, scene_at(pos), None);
                    self.draft.push(snapped);
                }
                false
            }
            Tool::Split => {
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    self.draft.push(coord(scene_at(pos)));
                    if let ([from, to], Some(index)) = (self.draft.as_slice(), self.selected_edit) {
                        let (from, to) = (*from, *to);
                        let result = self.editor.as_mut().map(|e| e.split(index, from, to));
                        self.draft.clear();
                        self.tool = Tool::Edit;
                        if let Some(result) = result {
                            self.report(result);
                        }
                    }
                }
                false
            }
            Tool::Edit => {
                if let Some(pos) = response.hover_pos() {
                    self.selected_vertex = self.vertex_near(pos, rect);
                }
                if response.drag_started()
                    && let Some(pos) = ctx_press_origin(response)
                {
                    self.drag = if let Some(v) = self.vertex_near(pos, rect) {
                        Some(Drag::Vertex(v))
                    } else {
                        let p = scene_at(pos);
                        match (self.selected_edit, self.pick_edit(p)) {
                            (Some(s), Some(i)) if s == i => Some(Drag::Body(i)),
                            _ => None,
                        }
                    };
                    self.drag_from = scene_at(pos);
                }
                if let Some(drag) = self.drag {
                    let mut now = response
                        .interact_pointer_pos()
                        .map(scene_at)
                        .unwrap_or(self.drag_from);
                    let mut target = coord(now);
                    if let Drag::Vertex(v) = drag {
                        target = self.snap(&response.ctx, now, Some(v.footprint));
                        now = egui::vec2(target.x as f32, target.y as f32);
                    }
                    self.drag_to = now;
                    if response.drag_stopped() {
                        self.drag = None;
                        let result = self.editor.as_mut().map(|e| match drag {
                            Drag::Vertex(v) => e.move_vertex(v, target),
                            Drag::Body(i) => {
                                let d = now - self.drag_from;
                                e.translate(i, f64::from(d.x), f64::from(d.y))
                            }
                        });
                        if let Some(result) = result {
                            self.report(result);
                        }
                    }
                    return true;
                }
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let shift = response.ctx.input(|i| i.modifiers.shift);
                    if shift {
                        self.merge_with = self
                            .pick_edit(scene_at(pos))
                            .filter(|i| Some(*i) != self.selected_edit);
                    } else if let Some((v, at)) = self.ghost_near(pos, rect) {
                        let result = self.editor.as_mut().map(|e| e.insert_vertex(v, at));
                        if let Some(result) = result {
                            self.report(result);
                        }
                    } else {
                        self.selected_edit = self.pick_edit(scene_at(pos));
                        self.merge_with = None;
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
        let reach = f64::from(GRAB / self.zoom);
        let point = geo::Point::new(f64::from(p.x), f64::from(p.y));
        let mut best_vertex: Option<(f64, Coord<f64>)> = None;
        let mut best_edge: Option<(f64, Coord<f64>)> = None;
        let edited = self.all_layers().len().saturating_sub(1);
        for (l, layer) in self.all_layers().into_iter().enumerate() {
            if !layer.visible {
                continue;
            }
            for (i, f) in layer.footprints.iter().enumerate() {
                if self.editor.is_some() && l == edited && Some(i) == skip {
                    continue;
                }
                for c in f.polygon.0.iter().flat_map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .flat_map(|r| r.0.iter())
                }) {
                    let d = (c.x - point.x()).hypot(c.y - point.y());
                    if d <= reach && best_vertex.is_none_or(|(b, _)| d < b) {
                        best_vertex = Some((d, *c));
                    }
                }
                for ring in f
                    .polygon
                    .0
                    .iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                {
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

    /// The edited footprint under scene point `p`.
    fn pick_edit(&self, p: egui::Vec2) -> Option<usize> {
        use geo::Contains;
        let point = geo::Point::new(f64::from(p.x), f64::from(p.y));
        self.editor
            .as_ref()?
            .footprints()
            .iter()
            .rposition(|f| f.polygon.contains(&point))
    }

    /// Handles of the selected footprint, the drag's preview and the polygon being drawn.
    pub(super) fn draw_edit_overlay(&self, painter: &egui::Painter, rect: egui::Rect) {
        let yellow = egui::Color32::YELLOW;
        if let (Some(index), Some(editor)) = (self.selected_edit, &self.editor)
            && let Some(f) = editor.footprints().get(index)
        {
            let moved = |x: f64, y: f64, vertex: Option<VertexRef>| -> egui::Pos2 {
                let p = self.to_screen(rect, x, y);
                match self.drag {
                    Some(Drag::Body(_)) => p + (self.drag_to - self.drag_from) * self.zoom,
                    Some(Drag::Vertex(v)) if Some(v) == vertex => {
                        self.to_screen(rect, f64::from(self.drag_to.x), f64::from(self.drag_to.y))
                    }
                    _ => p,
                }
            };
            for (part, polygon) in f.polygon.0.iter().enumerate() {
                for (ring, line) in std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .enumerate()
                {
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
                            moved(c.x, c.y, Some(v))
                        })
                        .collect();
                    painter.add(egui::Shape::closed_line(
                        points.clone(),
                        egui::Stroke::new(2.5, yellow),
                    ));
                    for (k, p) in points.iter().enumerate() {
                        let hot = self
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
        if let (Some(index), Some(editor)) = (self.merge_with, &self.editor)
            && let Some(f) = editor.footprints().get(index)
        {
            for polygon in &f.polygon.0 {
                let points: Vec<egui::Pos2> = polygon
                    .exterior()
                    .0
                    .iter()
                    .map(|c| self.to_screen(rect, c.x, c.y))
                    .collect();
                painter.add(egui::Shape::closed_line(
                    points,
                    egui::Stroke::new(2.5, egui::Color32::from_rgb(0, 220, 255)),
                ));
            }
        }
        if !self.draft.is_empty() {
            let points: Vec<egui::Pos2> = self
                .draft
                .iter()
                .map(|c| self.to_screen(rect, c.x, c.y))
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
    pub(super) fn tools_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for (tool, label) in [
                (Tool::Navigate, "navigate"),
                (Tool::Edit, "edit"),
                (Tool::Draw, "draw"),
                (Tool::Split, "split"),
            ] {
                if ui.selectable_label(self.tool == tool, label).clicked() {
                    self.set_tool(tool);
                }
            }
            let (can_undo, can_redo) = self
                .editor
                .as_ref()
                .map_or((false, false), |e| (e.can_undo(), e.can_redo()));
            if ui
                .add_enabled(can_undo, egui::Button::new("undo"))
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(can_redo, egui::Button::new("redo"))
                .clicked()
            {
                self.redo();
            }
            if ui.button("?").on_hover_text("shortcuts (F1)").clicked() {
                self.show_help = !self.show_help;
            }
            ui.checkbox(&mut self.export_wgs84, "WGS 84")
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
                self.edit_message = Some(match self.export(&path, self.export_wgs84) {
                    Ok(n) => format!("exported {n} footprints to {}", path.display()),
                    Err(e) => format!("export failed: {e}"),
                });
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Open probabilities…").on_hover_text("a probability GeoTIFF of this scene (sarscope predict), to re-vectorize buildings").clicked()
                && let Some(path) = rfd::FileDialog::new().add_filter("GeoTIFF", &["tif", "tiff"]).pick_file()
                && let Err(e) = self.set_probabilities(&path)
            {
                self.edit_message = Some(e);
            }
            if self.scene.probabilities.is_some() && self.selected_edit.is_some() {
                ui.add(egui::Slider::new(&mut self.revector_threshold, 0.05..=0.95).text("threshold"));
                if ui.button("Re-vectorize").on_hover_text("trace the selected building again at this threshold (R)").clicked()
                    && let Err(e) = self.revectorize_selected(self.revector_threshold)
                {
                    self.edit_message = Some(e);
                }
            }
        });
        if let Some(editor) = &self.editor {
            ui.weak(format!(
                "{} edited footprints, saved to {}",
                editor.footprints().len(),
                editor.layer.path.display()
            ));
        }
        if let Some(message) = &self.edit_message {
            ui.colored_label(ui.visuals().warn_fg_color, message);
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
