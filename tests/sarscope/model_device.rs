//! The model on the viewer's own wgpu device: a device created the way the viewer creates its
//! own (the adapter's features and limits) is shared with burn, and the network gives there
//! what it gives on the CPU.

use burn::prelude::*;
use burn::tensor::TensorData;
use sarscope::model::{
    ConvForm, DeviceChoice, SharedWgpu, UNet11Config, select_device_sharing,
    shareable_device_descriptor,
};

/// A device as `app::run` has eframe create it, made here without a window.
fn viewer_like_device() -> SharedWgpu {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .expect("a wgpu adapter (lavapipe on CI: mesa-vulkan-drivers)");
    let (device, queue) =
        pollster::block_on(adapter.request_device(&shareable_device_descriptor(&adapter)))
            .expect("the adapter grants its own features");
    SharedWgpu {
        instance,
        adapter,
        device,
        queue,
    }
}

#[test]
fn the_model_runs_on_the_viewers_device_as_on_the_cpu() {
    let shared = viewer_like_device();
    let gpu = select_device_sharing(DeviceChoice::Gpu, Some(&shared)).unwrap();
    assert!(gpu.is_gpu);
    assert!(
        gpu.description.contains("shared with the viewer"),
        "{}",
        gpu.description
    );
    // Auto on a software adapter (lavapipe) still runs on the CPU, and says why.
    let auto = select_device_sharing(DeviceChoice::Auto, Some(&shared)).unwrap();
    if shared.adapter.get_info().device_type == wgpu::DeviceType::Cpu {
        assert!(!auto.is_gpu, "{}", auto.description);
        assert!(
            auto.description.contains("software"),
            "{}",
            auto.description
        );
    } else {
        assert!(auto.is_gpu, "{}", auto.description);
    }

    // On the GPU the 3x3 convolutions run as matrix products, on the CPU as banded products,
    // except when training (both).
    assert_eq!(ConvForm::for_device(&gpu.device), ConvForm::Im2col);
    assert_eq!(
        ConvForm::for_device(&gpu.device.clone().autodiff()),
        ConvForm::Backend
    );
    assert_eq!(ConvForm::for_device(&Device::flex()), ConvForm::Banded);
    assert_eq!(
        ConvForm::for_device(&Device::flex().autodiff()),
        ConvForm::Backend
    );

    let config = UNet11Config::new().with_width_divisor(32);
    let cpu = Device::flex();
    let model = config.init(&cpu);
    let input: Vec<f32> = (0..4 * 64 * 64)
        .map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    let run = |model: &sarscope::model::UNet11, device: &Device| -> Vec<f32> {
        let x = Tensor::<4>::from_data(TensorData::new(input.clone(), [1, 4, 64, 64]), device);
        model.forward(x).into_data().try_to_vec::<f32>().unwrap()
    };
    let on_cpu = run(&model, &cpu);
    let on_gpu = run(&model.clone().to_device(&gpu.device), &gpu.device);
    let worst = on_cpu
        .iter()
        .zip(&on_gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "wgpu on the viewer's device vs flex: {worst}");
}
