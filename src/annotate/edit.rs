//! Editing a layer's footprints with unlimited undo and redo. Every edit is checked: one that
//! would leave an invalid polygon (self-intersecting, a ring of fewer than three points) is
//! refused and changes nothing.

use geo::{Coord, MultiPolygon, Polygon, Translate, Validation};

use std::collections::BTreeSet;

use super::review::ReviewKey;
use crate::io::Footprint;
use crate::vector::{RegularizeError, RegularizeParams, regularize_multi};

use super::Layer;

/// Where a vertex is: footprint, polygon part, ring (0 = exterior), vertex in the ring
/// (without the closing repeat).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VertexRef {
    pub footprint: usize,
    pub part: usize,
    pub ring: usize,
    pub vertex: usize,
}

/// Why an edit was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("there is no footprint {0}")]
    NoFootprint(usize),
    #[error("there is no such vertex")]
    NoVertex,
    #[error("a ring needs at least three points")]
    TooFewPoints,
    #[error("that would make an invalid polygon ({0})")]
    Invalid(String),
    #[error("the layer is locked")]
    Locked,
    #[error("not straightened: {0}")]
    NotStraightened(RegularizeError),
}

/// What straightening footprints did: those changed, and those left as they were with why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Straightened {
    pub changed: Vec<usize>,
    pub refused: Vec<(usize, RegularizeError)>,
}

impl Straightened {
    /// "straightened 3 footprints; 2 left as they were (1 not near right angles, 1 would
    /// change its area too much)": short enough for a status line.
    pub fn summary(&self) -> String {
        let n = self.changed.len();
        let mut text = format!(
            "straightened {n} footprint{}",
            if n == 1 { "" } else { "s" }
        );
        if !self.refused.is_empty() {
            let mut why: Vec<(&str, usize)> = Vec::new();
            for (_, e) in &self.refused {
                let short = match e {
                    RegularizeError::NotRectilinear { .. } => "not near right angles",
                    RegularizeError::AreaChange { .. } => "would change its area too much",
                    RegularizeError::TooFewSides => "too few sides",
                    RegularizeError::Invalid => "sides would cross",
                    RegularizeError::Empty | RegularizeError::NotFinite => "not a polygon",
                };
                match why.iter_mut().find(|(w, _)| *w == short) {
                    Some((_, count)) => *count += 1,
                    None => why.push((short, 1)),
                }
            }
            let left = self.refused.len();
            let reasons: Vec<String> = why.iter().map(|(w, k)| format!("{k} {w}")).collect();
            text.push_str(&format!(
                "; {left} left as {} ({})",
                if left == 1 { "it was" } else { "they were" },
                reasons.join(", ")
            ));
        }
        text
    }
}

/// One reversible change.
#[derive(Clone, Debug)]
enum Change {
    Replace {
        index: usize,
        before: Footprint,
        after: Footprint,
    },
    Insert {
        index: usize,
        footprint: Footprint,
    },
    Remove {
        index: usize,
        footprint: Footprint,
    },
    /// An error of the review accepted as it is (kept), or that taken back.
    Accept(ReviewKey),
    Unaccept(ReviewKey),
}

/// A layer being edited, with its history.
#[derive(Clone, Debug)]
pub struct EditableLayer {
    pub layer: Layer,
    /// Each step is one user edit: a change, or several (a merge, a split).
    undo: Vec<Vec<Change>>,
    redo: Vec<Vec<Change>>,
    next_id: u64,
    /// Errors of the review accepted as they are.
    accepted: BTreeSet<ReviewKey>,
}

/// The ring's points without the closing repeat.
fn open_ring(ring: &geo::LineString<f64>) -> Vec<Coord<f64>> {
    let mut points = ring.0.clone();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    points
}

fn check(polygon: &MultiPolygon<f64>) -> Result<(), EditError> {
    for part in &polygon.0 {
        for ring in std::iter::once(part.exterior()).chain(part.interiors()) {
            if open_ring(ring).len() < 3 {
                return Err(EditError::TooFewPoints);
            }
        }
    }
    if let Err(e) = polygon.check_validation() {
        return Err(EditError::Invalid(e.to_string()));
    }
    Ok(())
}

/// `before` with a new outline: edited (a drawn one stays drawn), its area and IoU to be
/// measured again.
fn reshaped(before: &Footprint, polygon: MultiPolygon<f64>) -> Footprint {
    let mut after = before.clone();
    after.polygon = polygon;
    if after.source != "drawn" {
        after.source = "edited".into();
    }
    after.area_m2 = None;
    after.iou = None;
    after
}

impl EditableLayer {
    pub fn new(layer: Layer) -> Self {
        let next_id = layer.footprints.len() as u64;
        Self {
            layer,
            undo: Vec::new(),
            redo: Vec::new(),
            next_id,
            accepted: BTreeSet::new(),
        }
    }

    pub fn footprints(&self) -> &[Footprint] {
        &self.layer.footprints
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    fn footprint(&self, index: usize) -> Result<&Footprint, EditError> {
        if self.layer.locked {
            return Err(EditError::Locked);
        }
        self.layer
            .footprints
            .get(index)
            .ok_or(EditError::NoFootprint(index))
    }

    /// Replaces footprint `index`'s polygon, if the result is valid.
    fn reshape(&mut self, index: usize, polygon: MultiPolygon<f64>) -> Result<(), EditError> {
        self.reshape_with(index, polygon, None)
    }

    /// Replaces footprint `index`'s polygon (and confidence, when given), if the result is
    /// valid, as one change.
    fn reshape_with(
        &mut self,
        index: usize,
        polygon: MultiPolygon<f64>,
        confidence: Option<f64>,
    ) -> Result<(), EditError> {
        check(&polygon)?;
        let before = self.footprint(index)?.clone();
        let mut after = reshaped(&before, polygon);
        if confidence.is_some() {
            after.confidence = confidence;
        }
        self.apply(Change::Replace {
            index,
            before,
            after,
        });
        Ok(())
    }

    fn apply(&mut self, change: Change) {
        self.apply_step(vec![change]);
    }

    fn apply_step(&mut self, step: Vec<Change>) {
        self.redo.clear();
        for change in &step {
            self.perform(change);
        }
        self.undo.push(step);
    }

    fn perform(&mut self, change: &Change) {
        let list = &mut self.layer.footprints;
        match change {
            Change::Accept(key) => {
                self.accepted.insert(key.clone());
            }
            Change::Unaccept(key) => {
                self.accepted.remove(key);
            }
            Change::Replace { index, after, .. } => {
                if let Some(f) = list.get_mut(*index) {
                    *f = after.clone();
                }
            }
            Change::Insert { index, footprint } => {
                list.insert((*index).min(list.len()), footprint.clone());
            }
            Change::Remove { index, .. } => {
                if *index < list.len() {
                    list.remove(*index);
                }
            }
        }
    }

    fn inverse(change: &Change) -> Change {
        match change {
            Change::Replace {
                index,
                before,
                after,
            } => Change::Replace {
                index: *index,
                before: after.clone(),
                after: before.clone(),
            },
            Change::Insert { index, footprint } => Change::Remove {
                index: *index,
                footprint: footprint.clone(),
            },
            Change::Remove { index, footprint } => Change::Insert {
                index: *index,
                footprint: footprint.clone(),
            },
            Change::Accept(key) => Change::Unaccept(key.clone()),
            Change::Unaccept(key) => Change::Accept(key.clone()),
        }
    }

    /// Undoes the last edit; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(step) = self.undo.pop() else {
            return false;
        };
        for change in step.iter().rev() {
            self.perform(&Self::inverse(change));
        }
        self.redo.push(step);
        true
    }

    /// Redoes the last undone edit; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(step) = self.redo.pop() else {
            return false;
        };
        for change in &step {
            self.perform(change);
        }
        self.undo.push(step);
        true
    }

    /// Merges footprint `b` into `a` (their union); they must touch or overlap.
    pub fn merge(&mut self, a: usize, b: usize) -> Result<(), EditError> {
        use geo::BooleanOps;
        if a == b {
            return Err(EditError::Invalid("merging a footprint with itself".into()));
        }
        let (fa, fb) = (self.footprint(a)?.clone(), self.footprint(b)?.clone());
        let union = fa.polygon.union(&fb.polygon);
        if union.0.len() != 1 {
            return Err(EditError::Invalid(
                "footprints must touch or overlap to merge".into(),
            ));
        }
        check(&union)?;
        let mut after = fa.clone();
        after.polygon = union;
        after.source = "edited".into();
        after.area_m2 = None;
        after.iou = None;
        self.apply_step(vec![
            Change::Replace {
                index: a,
                before: fa,
                after,
            },
            Change::Remove {
                index: b,
                footprint: fb,
            },
        ]);
        Ok(())
    }

    /// Splits footprint `index` along the straight line through `from` and `to` (which must
    /// cross it) into its pieces on either side.
    pub fn split(
        &mut self,
        index: usize,
        from: Coord<f64>,
        to: Coord<f64>,
    ) -> Result<(), EditError> {
        use geo::BooleanOps;
        let original = self.footprint(index)?.clone();
        let (dx, dy) = (to.x - from.x, to.y - from.y);
        let length = dx.hypot(dy);
        if length < 1e-9 {
            return Err(EditError::Invalid("the split line has no length".into()));
        }
        // A half-plane (a large rectangle on the line's left side) cuts the footprint in two.
        let (ux, uy) = (dx / length, dy / length);
        let far = 1e7;
        let (a, b) = (
            Coord {
                x: from.x - ux * far,
                y: from.y - uy * far,
            },
            Coord {
                x: from.x + ux * far,
                y: from.y + uy * far,
            },
        );
        let (nx, ny) = (-uy * far, ux * far);
        let left = MultiPolygon(vec![Polygon::new(
            geo::LineString(vec![
                a,
                b,
                Coord {
                    x: b.x + nx,
                    y: b.y + ny,
                },
                Coord {
                    x: a.x + nx,
                    y: a.y + ny,
                },
                a,
            ]),
            vec![],
        )]);
        let one = original.polygon.intersection(&left);
        let other = original.polygon.difference(&left);
        let pieces: Vec<MultiPolygon<f64>> = one
            .0
            .into_iter()
            .chain(other.0)
            .map(|p| MultiPolygon(vec![p]))
            .collect();
        if pieces.len() < 2 {
            return Err(EditError::Invalid(
                "the line does not cross the footprint".into(),
            ));
        }
        for p in &pieces {
            check(p)?;
        }
        let mut step = Vec::new();
        for (k, polygon) in pieces.into_iter().enumerate() {
            let mut piece = original.clone();
            piece.polygon = polygon;
            piece.source = "edited".into();
            piece.area_m2 = None;
            piece.iou = None;
            if k == 0 {
                step.push(Change::Replace {
                    index,
                    before: original.clone(),
                    after: piece,
                });
            } else {
                piece.id = format!("{}-{k}", original.id);
                step.push(Change::Insert {
                    index: self.layer.footprints.len() + k - 1,
                    footprint: piece,
                });
            }
        }
        self.apply_step(step);
        Ok(())
    }

    /// Marks an error of the review as accepted (kept as it is), as one undoable step; false
    /// when it already was.
    pub fn accept(&mut self, key: ReviewKey) -> bool {
        if self.accepted.contains(&key) {
            return false;
        }
        self.apply(Change::Accept(key));
        true
    }

    /// The review's accepted errors.
    pub fn accepted(&self) -> &BTreeSet<ReviewKey> {
        &self.accepted
    }

    /// Starts with `keys` accepted (saved by an earlier session; not an undoable step).
    pub fn with_accepted(mut self, keys: BTreeSet<ReviewKey>) -> Self {
        self.accepted = keys;
        self
    }

    /// Whether the review's error `key` was accepted.
    pub fn is_accepted(&self, key: &ReviewKey) -> bool {
        self.accepted.contains(key)
    }

    /// Adds `polygon` (a copy of another layer's footprint, say) as a new footprint of
    /// `source`; returns its index.
    pub fn add_polygon(
        &mut self,
        polygon: MultiPolygon<f64>,
        source: &str,
    ) -> Result<usize, EditError> {
        if self.layer.locked {
            return Err(EditError::Locked);
        }
        check(&polygon)?;
        let id = format!("{source}-{}", self.next_id);
        self.next_id += 1;
        let index = self.layer.footprints.len();
        self.apply(Change::Insert {
            index,
            footprint: Footprint {
                id,
                source: source.into(),
                confidence: None,
                area_m2: None,
                iou: None,
                image_id: None,
                polygon,
            },
        });
        Ok(index)
    }

    /// Straightens footprints `indices` to right angles (see [`crate::vector::regularize`]) as
    /// one step, undone at once. Each that cannot be straightened is left as it was, with the
    /// reason; a single footprint that cannot is refused with it.
    pub fn regularize(
        &mut self,
        indices: &[usize],
        params: RegularizeParams,
    ) -> Result<Straightened, EditError> {
        let mut step = Vec::new();
        let mut done = Straightened::default();
        for &index in indices {
            let before = self.footprint(index)?.clone();
            let straight = regularize_multi(&before.polygon, params).and_then(|polygon| {
                // geo's own rules too, which every edit is held to.
                check(&polygon).map_err(|_| RegularizeError::Invalid)?;
                Ok(polygon)
            });
            match straight {
                Ok(polygon) => {
                    let after = reshaped(&before, polygon);
                    step.push(Change::Replace {
                        index,
                        before,
                        after,
                    });
                    done.changed.push(index);
                }
                Err(e) => done.refused.push((index, e)),
            }
        }
        if let ([(_, why)], []) = (done.refused.as_slice(), done.changed.as_slice()) {
            return Err(EditError::NotStraightened(why.clone()));
        }
        if !step.is_empty() {
            self.apply_step(step);
        }
        Ok(done)
    }

    /// Moves footprint `index` by (`dx`, `dy`) pixels.
    pub fn translate(&mut self, index: usize, dx: f64, dy: f64) -> Result<(), EditError> {
        let moved = self.footprint(index)?.polygon.translate(dx, dy);
        self.reshape(index, moved)
    }

    /// The polygon of `v`'s footprint with `edit` applied to `v`'s ring (open, no repeat).
    fn with_ring(
        &self,
        v: VertexRef,
        edit: impl FnOnce(&mut Vec<Coord<f64>>) -> Result<(), EditError>,
    ) -> Result<MultiPolygon<f64>, EditError> {
        let mut polygon = self.footprint(v.footprint)?.polygon.clone();
        let part = polygon.0.get_mut(v.part).ok_or(EditError::NoVertex)?;
        let (exterior, mut interiors) = (part.exterior().clone(), part.interiors().to_vec());
        let ring = if v.ring == 0 {
            exterior.clone()
        } else {
            interiors
                .get(v.ring - 1)
                .cloned()
                .ok_or(EditError::NoVertex)?
        };
        let mut points = open_ring(&ring);
        edit(&mut points)?;
        if points.len() < 3 {
            return Err(EditError::TooFewPoints);
        }
        if let Some(&first) = points.first() {
            points.push(first);
        }
        let ring = geo::LineString(points);
        *part = if v.ring == 0 {
            Polygon::new(ring, interiors)
        } else {
            if let Some(slot) = interiors.get_mut(v.ring - 1) {
                *slot = ring;
            }
            Polygon::new(exterior, interiors)
        };
        Ok(polygon)
    }

    /// Gives footprint `index` a new outline (re-vectorized), with its confidence.
    pub fn reshape_to(
        &mut self,
        index: usize,
        polygon: MultiPolygon<f64>,
        confidence: f64,
    ) -> Result<(), EditError> {
        self.reshape_with(index, polygon, Some(confidence))
    }

    /// Moves vertex `v` to `to`.
    pub fn move_vertex(&mut self, v: VertexRef, to: Coord<f64>) -> Result<(), EditError> {
        let polygon = self.with_ring(v, |points| {
            let p = points.get_mut(v.vertex).ok_or(EditError::NoVertex)?;
            *p = to;
            Ok(())
        })?;
        self.reshape(v.footprint, polygon)
    }

    /// Inserts a vertex at `at` after vertex `v` (on the edge from `v` to the next one).
    pub fn insert_vertex(&mut self, v: VertexRef, at: Coord<f64>) -> Result<(), EditError> {
        let polygon = self.with_ring(v, |points| {
            if v.vertex >= points.len() {
                return Err(EditError::NoVertex);
            }
            points.insert(v.vertex + 1, at);
            Ok(())
        })?;
        self.reshape(v.footprint, polygon)
    }

    /// Deletes vertex `v` (a ring keeps at least three).
    pub fn delete_vertex(&mut self, v: VertexRef) -> Result<(), EditError> {
        let polygon = self.with_ring(v, |points| {
            if v.vertex >= points.len() {
                return Err(EditError::NoVertex);
            }
            if points.len() <= 3 {
                return Err(EditError::TooFewPoints);
            }
            points.remove(v.vertex);
            Ok(())
        })?;
        self.reshape(v.footprint, polygon)
    }

    /// Deletes footprint `index`.
    pub fn delete(&mut self, index: usize) -> Result<(), EditError> {
        let footprint = self.footprint(index)?.clone();
        self.apply(Change::Remove { index, footprint });
        Ok(())
    }

    /// Adds a drawn polygon (its points in order; the ring is closed here). Returns its index.
    pub fn add(&mut self, points: &[Coord<f64>]) -> Result<usize, EditError> {
        if self.layer.locked {
            return Err(EditError::Locked);
        }
        let mut ring: Vec<Coord<f64>> = points.to_vec();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            return Err(EditError::TooFewPoints);
        }
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        let polygon = MultiPolygon(vec![Polygon::new(geo::LineString(ring), vec![])]);
        self.add_polygon(polygon, "drawn")
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use geo::Area;

    use super::*;
    use crate::annotate::Role;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn editor() -> EditableLayer {
        EditableLayer::new(Layer {
            role: Role::Predictions,
            path: PathBuf::new(),
            footprints: Vec::new(),
            visible: true,
            locked: false,
            width: 2.0,
        })
    }

    fn v(vertex: usize) -> VertexRef {
        VertexRef {
            footprint: 0,
            part: 0,
            ring: 0,
            vertex,
        }
    }

    #[test]
    fn draw_move_undo_redo() {
        let mut e = editor();
        let square = [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)];
        assert_eq!(e.add(&square), Ok(0));
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 100.0);
        e.move_vertex(v(2), c(20.0, 10.0)).unwrap();
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 150.0);
        e.insert_vertex(v(0), c(5.0, -5.0)).unwrap();
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 175.0);
        e.translate(0, 3.0, 4.0).unwrap();
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 175.0);
        e.delete_vertex(v(1)).unwrap();
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 150.0);
        // Undo twice, redo once.
        assert!(e.undo() && e.undo());
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 175.0);
        assert!(e.redo());
        let moved = &e.footprints()[0].polygon.0[0].exterior().0[0];
        assert_eq!((moved.x, moved.y), (3.0, 4.0));
        e.delete(0).unwrap();
        assert!(e.footprints().is_empty());
        assert!(e.undo());
        assert_eq!(e.footprints().len(), 1);
        // A new edit clears what could be redone.
        e.translate(0, 1.0, 0.0).unwrap();
        assert!(!e.can_redo());
        // Everything undoes back to the empty layer.
        while e.undo() {}
        assert!(e.footprints().is_empty());
    }

    #[test]
    fn merge_and_split_are_one_step_each() {
        let mut e = editor();
        e.add(&[c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)])
            .unwrap();
        e.add(&[c(10.0, 0.0), c(20.0, 0.0), c(20.0, 10.0), c(10.0, 10.0)])
            .unwrap();
        e.add(&[c(50.0, 0.0), c(60.0, 0.0), c(60.0, 10.0), c(50.0, 10.0)])
            .unwrap();
        assert!(
            matches!(e.merge(0, 2), Err(EditError::Invalid(_))),
            "apart: refused"
        );
        e.merge(1, 0).unwrap();
        assert_eq!(e.footprints().len(), 2);
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 200.0);
        assert!(e.undo());
        assert_eq!(e.footprints().len(), 3);
        assert_eq!(e.footprints()[1].polygon.unsigned_area(), 100.0);
        assert!(e.redo());
        // Split the 20 x 10 block down the middle of its left half: 50 + 150.
        e.split(0, c(5.0, -5.0), c(5.0, 15.0)).unwrap();
        let mut areas: Vec<f64> = e
            .footprints()
            .iter()
            .map(|f| f.polygon.unsigned_area())
            .collect();
        areas.sort_by(f64::total_cmp);
        assert_eq!(areas, vec![50.0, 100.0, 150.0]);
        assert!(matches!(
            e.split(0, c(100.0, 0.0), c(100.0, 10.0)),
            Err(EditError::Invalid(_))
        ));
        assert!(e.undo());
        assert_eq!(e.footprints().len(), 2);
        assert_eq!(e.footprints()[0].polygon.unsigned_area(), 200.0);
    }

    #[test]
    fn invalid_edits_are_refused_and_change_nothing() {
        let mut e = editor();
        e.add(&[c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)])
            .unwrap();
        let before = e.footprints().to_vec();
        // Dragging a corner across the opposite edge makes a bow tie.
        let err = e.move_vertex(v(1), c(-5.0, 10.0)).unwrap_err();
        assert!(matches!(err, EditError::Invalid(_)), "{err:?}");
        e.delete_vertex(v(0)).unwrap();
        assert_eq!(e.delete_vertex(v(0)), Err(EditError::TooFewPoints));
        assert_eq!(
            e.add(&[c(0.0, 0.0), c(1.0, 1.0)]),
            Err(EditError::TooFewPoints)
        );
        let bow_tie = [c(0.0, 0.0), c(10.0, 10.0), c(10.0, 0.0), c(0.0, 10.0)];
        assert!(matches!(e.add(&bow_tie), Err(EditError::Invalid(_))));
        assert_eq!(
            e.move_vertex(VertexRef { vertex: 9, ..v(0) }, c(1.0, 1.0)),
            Err(EditError::NoVertex)
        );
        assert!(e.undo());
        assert_eq!(e.footprints(), &before[..]);
        e.layer.locked = true;
        assert_eq!(e.translate(0, 1.0, 1.0), Err(EditError::Locked));
    }

    #[test]
    fn straightening_several_is_one_step_and_says_why_some_were_left() {
        use crate::annotate::testing::{layer, square};
        let triangle = Footprint {
            polygon: MultiPolygon(vec![Polygon::new(
                geo::LineString(vec![c(100.0, 0.0), c(140.0, 0.0), c(100.0, 40.0)]),
                vec![],
            )]),
            ..square("t", 0.0, 0.0, 1.0)
        };
        let mut ragged = square("r", 200.0, 0.0, 30.0);
        if let Some(p) = ragged.polygon.0.first_mut() {
            p.exterior_mut(|r| r.0.insert(1, c(215.0, 0.6)));
        }
        let before = vec![triangle, ragged, square("s", 300.0, 0.0, 20.0)];
        let mut e = EditableLayer::new(layer(Role::Predictions, before.clone()));
        let done = e
            .regularize(&[0, 1, 2], RegularizeParams::default())
            .unwrap();
        assert_eq!(done.changed, vec![1, 2]);
        assert_eq!(
            done.summary(),
            "straightened 2 footprints; 1 left as it was (1 too few sides)"
        );
        assert_eq!(e.footprints()[1].polygon.0[0].exterior().0.len(), 5);
        assert!(e.undo());
        assert_eq!(e.footprints(), before.as_slice());
        // Straightened sides that would cross a hole: refused, nothing changed.
        let holed = Footprint {
            polygon: MultiPolygon(vec![Polygon::new(
                geo::LineString(vec![
                    c(0.0, 0.0),
                    c(20.0, 0.0),
                    c(20.0, 1.9),
                    c(40.0, 1.9),
                    c(40.0, 40.0),
                    c(0.0, 40.0),
                    c(0.0, 0.0),
                ]),
                vec![geo::LineString(vec![
                    c(2.0, 0.5),
                    c(18.0, 0.5),
                    c(18.0, 10.0),
                    c(2.0, 10.0),
                    c(2.0, 0.5),
                ])],
            )]),
            ..square("h", 0.0, 0.0, 1.0)
        };
        let mut h = EditableLayer::new(layer(Role::Predictions, vec![holed.clone()]));
        let refused = h.regularize(&[0], RegularizeParams::default());
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err(
                "not straightened: straightening would make an invalid polygon (its sides \
                 would cross)"
                    .to_string()
            )
        );
        assert_eq!(h.footprints(), [holed].as_slice());
        assert!(!h.can_undo());
        // One footprint alone that cannot be straightened is refused with the reason.
        assert!(matches!(
            e.regularize(&[0], RegularizeParams::default()),
            Err(EditError::NotStraightened(RegularizeError::TooFewSides))
        ));
    }
}
