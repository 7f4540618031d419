//! Weights that are not numbers: a diverged training run saves NaN or infinite values, and a
//! network of them predicts nothing without saying why. Checked when weights are loaded.

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;

use super::ModelError;

/// Walks a module's float parameters and remembers the first holding a non-finite value.
#[derive(Default)]
struct FirstNonFinite {
    path: Vec<String>,
    found: Option<(String, usize, usize)>,
}

impl ModuleVisitor for FirstNonFinite {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.found.is_some() {
            return;
        }
        let Ok(values) = param
            .val()
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
        else {
            return;
        };
        let count = values.iter().filter(|v| !v.is_finite()).count();
        if count > 0 {
            let name = self
                .path
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(".");
            self.found = Some((name, count, values.len()));
        }
    }
}

/// Refuses `model` (loaded from `path`) when any of its parameters holds NaN or an infinity,
/// naming the first such tensor and how many of its values are.
pub fn check_finite<M: Module>(model: &M, path: &Path) -> Result<(), ModelError> {
    let mut visitor = FirstNonFinite::default();
    model.visit(&mut visitor);
    match visitor.found {
        None => Ok(()),
        Some((tensor, count, total)) => Err(ModelError::NonFinite {
            path: path.to_path_buf(),
            tensor: if tensor.is_empty() {
                "a tensor".into()
            } else {
                tensor
            },
            count,
            total,
        }),
    }
}
