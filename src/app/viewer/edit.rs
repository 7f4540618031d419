//! The state of editing footprints: the tool, the polygon being drawn, the drag under way,
//! the selection, and the edits layer with its history. Its operations say whether they
//! changed the edits; the viewer then scores them again and saves them beside the scene.

use eframe::egui;
use geo::{BooleanOps, Contains, Coord};

use crate::annotate::edit::{EditError, EditableLayer, VertexRef};

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
pub enum Drag {
    Vertex(VertexRef),
    Body(usize),
}

/// The shortcuts, one table for the help window and the README.
pub const SHORTCUTS: [(&str, &str); 22] = [
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
        "Q",
        "right angles: straighten the selected footprint, or all edited ones in view",
    ),
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
    ("Page Down / Page Up", "dataset: the next / previous scene"),
    (
        "] / [",
        "review: the next / previous error (false positive, missed, low IoU)",
    ),
    ("A", "review: accept the error as it is"),
    ("X", "review: reject it (delete the prediction)"),
    (
        "F",
        "review: fix it from the ground truth (add the missed building, take its outline)",
    ),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z", "redo"),
    (
        "wheel / drag",
        "zoom about the pointer / pan (on empty ground)",
    ),
    ("F1 or ?", "this table"),
];

/// A scene position as a geo coordinate.
pub fn coord(p: egui::Vec2) -> Coord<f64> {
    Coord {
        x: f64::from(p.x),
        y: f64::from(p.y),
    }
}

/// Editing in one scene; a new scene gets a new session (the user's threshold and export
/// choice stay).
pub struct EditSession {
    pub tool: Tool,
    /// The layer being edited, with its history.
    pub editor: Option<EditableLayer>,
    /// The points of the polygon being drawn (or of the split line).
    pub draft: Vec<Coord<f64>>,
    pub drag: Option<Drag>,
    /// Where the drag began and where it is now (scene pixels).
    pub drag_from: egui::Vec2,
    pub drag_to: egui::Vec2,
    /// The selected footprint of the edits and the vertex under the pointer.
    pub selected: Option<usize>,
    pub selected_vertex: Option<VertexRef>,
    /// A second selected footprint of the edits, to merge with.
    pub merge_with: Option<usize>,
    /// Why the last edit was refused (or what the last export did).
    pub message: Option<String>,
    /// The threshold for re-vectorizing a building.
    pub revector_threshold: f32,
    /// Export in longitude/latitude instead of the scene's CRS.
    pub export_wgs84: bool,
    /// The accepted errors of the review as last saved beside the scene.
    pub saved_review: std::collections::BTreeSet<crate::annotate::review::ReviewKey>,
}

impl Default for EditSession {
    fn default() -> Self {
        Self {
            tool: Tool::Navigate,
            editor: None,
            draft: Vec::new(),
            drag: None,
            drag_from: egui::Vec2::ZERO,
            drag_to: egui::Vec2::ZERO,
            selected: None,
            selected_vertex: None,
            merge_with: None,
            message: None,
            revector_threshold: 0.5,
            export_wgs84: false,
            saved_review: Default::default(),
        }
    }
}

impl EditSession {
    /// The session for a new scene.
    pub fn next_scene(&self) -> Self {
        Self {
            revector_threshold: self.revector_threshold,
            export_wgs84: self.export_wgs84,
            ..Self::default()
        }
    }

    /// Takes an edit's outcome: true when the edits changed (a refusal is kept as the message).
    pub fn report(&mut self, result: Result<(), EditError>) -> bool {
        match result {
            Ok(()) => {
                self.message = None;
                true
            }
            Err(e) => {
                self.message = Some(format!("refused: {e}"));
                false
            }
        }
    }

    /// Applies `edit` to the edits layer, if there is one, and reports it.
    fn apply(&mut self, edit: impl FnOnce(&mut EditableLayer) -> Result<(), EditError>) -> bool {
        match self.editor.as_mut().map(edit) {
            Some(result) => self.report(result),
            None => false,
        }
    }

    pub fn undo(&mut self) -> bool {
        let undone = self.editor.as_mut().is_some_and(EditableLayer::undo);
        if undone {
            self.selected_vertex = None;
        }
        undone
    }

    pub fn redo(&mut self) -> bool {
        self.editor.as_mut().is_some_and(EditableLayer::redo)
    }

    /// Merges the selected footprint with the second one (Shift+click).
    pub fn merge_selected(&mut self) -> bool {
        let (Some(a), Some(b)) = (self.selected, self.merge_with) else {
            self.message = Some("select a footprint, then Shift+click a second one".into());
            return false;
        };
        let merged = self.apply(|e| e.merge(a, b));
        if merged {
            self.merge_with = None;
            self.selected = Some(if b < a { a - 1 } else { a });
        }
        merged
    }

    /// Closes the polygon being drawn into a new footprint (selected); a refused one keeps its
    /// points so the user can fix it.
    pub fn close_draft(&mut self) -> bool {
        let points = std::mem::take(&mut self.draft);
        let Some(editor) = &mut self.editor else {
            return false;
        };
        let result = editor.add(&points).map(|i| self.selected = Some(i));
        if result.is_err() {
            self.draft = points;
        }
        self.report(result)
    }

    /// Deletes the vertex under the pointer, else the selected footprint.
    pub fn delete_at_pointer(&mut self) -> bool {
        let Some(index) = self.selected else {
            return false;
        };
        match self.selected_vertex.take() {
            Some(v) => self.apply(|e| e.delete_vertex(v)),
            None => {
                self.selected = None;
                self.apply(|e| e.delete(index))
            }
        }
    }

    /// Adds a point of the split line; the second splits the selected footprint.
    pub fn split_point(&mut self, p: Coord<f64>) -> bool {
        self.draft.push(p);
        let ([from, to], Some(index)) = (self.draft.as_slice(), self.selected) else {
            return false;
        };
        let (from, to) = (*from, *to);
        self.draft.clear();
        self.tool = Tool::Edit;
        self.apply(|e| e.split(index, from, to))
    }

    /// Ends the drag under way at `target` (a vertex) or moved by `now - drag_from` (a body).
    pub fn finish_drag(&mut self, drag: Drag, now: egui::Vec2, target: Coord<f64>) -> bool {
        self.drag = None;
        let d = now - self.drag_from;
        self.apply(|e| match drag {
            Drag::Vertex(v) => e.move_vertex(v, target),
            Drag::Body(i) => e.translate(i, f64::from(d.x), f64::from(d.y)),
        })
    }

    /// Inserts a vertex after `v` at `at` (the ghost point of an edge).
    pub fn insert_vertex(&mut self, v: VertexRef, at: Coord<f64>) -> bool {
        self.apply(|e| e.insert_vertex(v, at))
    }

    /// The edited footprint under scene point `p`, the topmost.
    pub fn pick(&self, p: egui::Vec2) -> Option<usize> {
        let point = geo::Point::new(f64::from(p.x), f64::from(p.y));
        self.editor
            .as_ref()?
            .footprints()
            .iter()
            .rposition(|f| f.polygon.contains(&point))
    }

    /// The rings of the selected edited footprint: (its index, part, ring, the ring).
    pub fn selected_rings(&self) -> Vec<(usize, usize, usize, &geo::LineString<f64>)> {
        let Some(index) = self.selected else {
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
                polygon
                    .rings()
                    .enumerate()
                    .map(move |(ring, line)| (index, part, ring, line))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::{Layer, Role};

    fn session() -> EditSession {
        let layer = Layer {
            role: Role::Predictions,
            path: "edits.gpkg".into(),
            footprints: Vec::new(),
            visible: true,
            locked: false,
            width: 2.0,
        };
        EditSession {
            editor: Some(EditableLayer::new(layer)),
            tool: Tool::Draw,
            ..EditSession::default()
        }
    }

    fn square(session: &mut EditSession, x: f64) {
        session.draft = [(x, 0.0), (x + 10.0, 0.0), (x + 10.0, 10.0), (x, 10.0)]
            .map(|(x, y)| Coord { x, y })
            .to_vec();
        assert!(session.close_draft(), "{:?}", session.message);
    }

    #[test]
    fn a_closed_draft_is_a_selected_footprint_and_undo_takes_it_back() {
        let mut s = session();
        square(&mut s, 0.0);
        assert_eq!(s.selected, Some(0));
        assert!(s.draft.is_empty());
        assert_eq!(s.pick(egui::vec2(5.0, 5.0)), Some(0));
        assert_eq!(s.pick(egui::vec2(15.0, 5.0)), None);
        assert!(s.undo());
        assert_eq!(s.pick(egui::vec2(5.0, 5.0)), None);
        assert!(s.redo());
        assert_eq!(s.pick(egui::vec2(5.0, 5.0)), Some(0));
    }

    #[test]
    fn a_refused_draft_keeps_its_points_and_says_why() {
        let mut s = session();
        s.draft = vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }];
        assert!(!s.close_draft());
        assert_eq!(s.draft.len(), 2, "the user can go on drawing");
        assert!(
            s.message
                .as_deref()
                .is_some_and(|m| m.starts_with("refused"))
        );
    }

    #[test]
    fn merging_needs_two_selections_and_keeps_the_first_selected() {
        let mut s = session();
        square(&mut s, 0.0);
        square(&mut s, 10.0);
        s.selected = Some(1);
        assert!(!s.merge_selected(), "no second footprint yet");
        s.merge_with = Some(0);
        assert!(s.merge_selected(), "{:?}", s.message);
        assert_eq!(s.selected, Some(0));
        assert_eq!(s.editor.as_ref().map(|e| e.footprints().len()), Some(1));
    }

    #[test]
    fn a_split_takes_two_points_and_returns_to_editing() {
        let mut s = session();
        square(&mut s, 0.0);
        s.tool = Tool::Split;
        assert!(!s.split_point(Coord { x: 5.0, y: -1.0 }));
        assert!(s.split_point(Coord { x: 5.0, y: 11.0 }), "{:?}", s.message);
        assert_eq!(s.tool, Tool::Edit);
        assert_eq!(s.editor.as_ref().map(|e| e.footprints().len()), Some(2));
    }

    #[test]
    fn a_new_scene_keeps_only_the_user_s_choices() {
        let mut s = session();
        s.revector_threshold = 0.3;
        s.export_wgs84 = true;
        let next = s.next_scene();
        assert!(next.editor.is_none());
        assert_eq!(next.tool, Tool::Navigate);
        assert_eq!((next.revector_threshold, next.export_wgs84), (0.3, true));
    }
}
