//! The viewer: an eframe window whose scene is drawn by `shaders/view.wgsl` through an
//! egui_wgpu paint callback. The bands go up to the GPU once; mode, scale, stretch, colormap,
//! sampling, pan and zoom are uniforms.

mod gpu;
mod viewer;

use eframe::{egui, egui_wgpu};

pub use gpu::{outline_uploads, view_pipeline_builds};
pub use viewer::{
    Camera, Layout, OverlayMap, ReviewAction, ReviewWalk, SHORTCUTS, Tool, ViewPlane, ViewState,
    Viewer,
};

use crate::session::ViewerStart;

/// Opens the window (blocks until it closes).
pub fn run(start: ViewerStart) -> anyhow::Result<()> {
    let ViewerStart {
        scene,
        model,
        failed,
        dataset,
    } = start;
    let mut options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 860.0])
            .with_title(format!("sarscope: {}", scene.name)),
        ..Default::default()
    };
    // The model runs on the device the viewer draws with (on a real GPU): burn's kernels need
    // the adapter's features (64-bit integers among them) and limits, which egui's default
    // device descriptor does not ask for.
    let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
    setup.device_descriptor = std::sync::Arc::new(crate::model::shareable_device_descriptor);
    options.wgpu_options.wgpu_setup = setup.into();
    eframe::run_native(
        "sarscope",
        options,
        Box::new(move |cc| {
            let render = cc
                .wgpu_render_state
                .as_ref()
                .ok_or("eframe started without its wgpu renderer")?;
            let saved = cc
                .storage
                .and_then(|s| eframe::get_value::<ViewState>(s, eframe::APP_KEY));
            let mut viewer = Viewer::new(render, scene, saved)?;
            viewer.set_weights(model.weights, model.predict_now);
            if let Some(failed) = &failed {
                viewer.open_failed(&failed.files, &failed.error);
            }
            if let Some(dataset) = dataset {
                viewer.show_dataset(&cc.egui_ctx, dataset);
            }
            Ok(Box::new(App { viewer }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the viewer failed: {e}"))
}

/// eframe's side of the viewer: the frame's wgpu state and the storage of settings. Public
/// for the render bench, which drives it as eframe does (the root `Ui`, nothing around it).
pub struct App {
    pub viewer: Viewer,
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.viewer.ui(ui, frame.wgpu_render_state());
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        Viewer::clear_color(visuals)
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, self.viewer.state());
    }
}
