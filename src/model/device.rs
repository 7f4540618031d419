//! Where the network runs: burn-wgpu on a GPU, or burn's CPU backend (flex) when there is no
//! GPU adapter, when the only adapter is a CPU one (Mesa's llvmpipe runs convolutions ~70x
//! slower than flex), or when asked.
//!
//! The CPU backend is flex, burn's fastest correct one here: one 3x3 convolution (64 -> 64 at
//! 256 px) ran 5x faster than on the deprecated ndarray (28.9 against 5.8 GFLOP/s, 2 cores, same
//! sums to 5e-7), and the full-width UNet11 runs on it, with our banded convolutions
//! (`conv::banded`) and gemm's AVX-512 kernels, at 0.99-1.23x PyTorch's time on the CPU, its logits
//! within 5e-6 of PyTorch's in float64.

use std::sync::OnceLock;

use burn::prelude::*;

use super::ModelError;

/// What the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// A real GPU through wgpu when there is one, else the CPU.
    #[default]
    Auto,
    /// wgpu, even on a software adapter; an error when there is none.
    Gpu,
    /// burn's CPU backend.
    Cpu,
}

/// A device with words for the user.
#[derive(Clone, Debug)]
pub struct ModelDevice {
    pub device: Device,
    /// "wgpu: Vulkan, NVIDIA H100 80GB HBM3" or "CPU (burn flex), 2 threads, AVX-512".
    pub description: String,
    pub is_gpu: bool,
}

impl ModelDevice {
    /// Windows per forward pass that suit this device: 4 on a GPU (an H200's f16 tile: 46 ms
    /// in one pass of 4, 65 ms one window at a time), 1 on the CPU (a batch is no faster
    /// there and holds 4 windows' activations).
    pub fn windows_per_pass(&self) -> usize {
        if self.is_gpu { 4 } else { 1 }
    }
}

struct WgpuProbe {
    device: Device,
    description: String,
    software: bool,
    /// Why the model must not run on this adapter even when asked to ([`spirv_refusal`]).
    refusal: Option<String>,
}

/// burn's wgpu runtime can be set up once per process: the probe's result is kept.
fn wgpu_probe() -> &'static Result<WgpuProbe, String> {
    static PROBE: OnceLock<Result<WgpuProbe, String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let options = Device::wgpu_options();
        // Vulkan on Linux: the GL backend only adds EGL noise and never beats Vulkan here.
        #[cfg(target_os = "linux")]
        let options = options.graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan);
        let (device, setup) = options.init_with_setup().map_err(|e| e.to_string())?;
        let info = setup.adapter.get_info();
        Ok(WgpuProbe {
            device,
            description: format!(
                "wgpu: {:?}{}, {}",
                info.backend,
                compiler_note(&info),
                info.name
            ),
            software: info.device_type == wgpu::DeviceType::Cpu,
            refusal: spirv_refusal(&info),
        })
    })
}

/// Whether burn's kernels reach this adapter as SPIR-V (cubecl's own compiler, the path to
/// cooperative matrices) rather than WGSL: Vulkan adapters in a build with the `vulkan` feature.
fn runs_spirv(info: &wgpu::AdapterInfo) -> bool {
    cfg!(feature = "vulkan") && info.backend == wgpu::Backend::Vulkan
}

/// " (SPIR-V)" for the device's description where [`runs_spirv`].
fn compiler_note(info: &wgpu::AdapterInfo) -> &'static str {
    if runs_spirv(info) { " (SPIR-V)" } else { "" }
}

/// Why the `vulkan` build must not run burn's kernels on a software Vulkan adapter: Mesa's
/// lavapipe (22.3, Debian 12) crashes compiling cubecl's SPIR-V (a segfault in pipeline
/// creation, measured). `None` where the kernels can run.
fn spirv_refusal(info: &wgpu::AdapterInfo) -> Option<String> {
    (runs_spirv(info) && info.device_type == wgpu::DeviceType::Cpu).then(|| {
        format!(
            "{} is a software Vulkan adapter, which crashes on the SPIR-V kernels of a build \
                 with the `vulkan` feature: use the CPU, or a build without that feature",
            info.name
        )
    })
}

fn cpu() -> ModelDevice {
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    ModelDevice {
        device: Device::flex(),
        description: format!(
            "CPU (burn flex), {threads} thread{}{}",
            if threads == 1 { "" } else { "s" },
            cpu_kernels().map(|k| format!(", {k}")).unwrap_or_default()
        ),
        is_gpu: false,
    }
}

/// The vector instructions burn flex's matrix products (gemm) pick on this CPU at run time, as
/// the device's description names them: "AVX-512" (the build's `x86-v4` kernels), "AVX2"
/// (with FMA), "NEON"; `None` for plain kernels.
fn cpu_kernels() -> Option<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some("AVX-512");
        }
        if std::arch::is_x86_feature_detected!("fma") {
            return Some("AVX2");
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            return Some("NEON");
        }
    }
    None
}

/// The wgpu handles of a device that already exists (the viewer's), to run the model on the
/// same GPU instead of acquiring a second device.
#[derive(Clone, Debug)]
pub struct SharedWgpu {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
}

/// What a wgpu device must be created with for burn's kernels to run on it as well (64-bit
/// integers among its features): the adapter's features, less mappable primary buffers, and
/// its limits. The viewer creates its device so; egui's default descriptor asks for too little.
pub fn shareable_device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("sarscope device"),
        required_features: adapter
            .features()
            .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
        required_limits: adapter.limits(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    }
}

/// burn registers a wgpu setup once per process: the first shared device is kept.
fn shared_probe(shared: &SharedWgpu) -> &'static Result<WgpuProbe, String> {
    static SHARED: OnceLock<Result<WgpuProbe, String>> = OnceLock::new();
    SHARED.get_or_init(|| {
        let info = shared.adapter.get_info();
        let device = Device::wgpu_options()
            .setup(burn::tensor::wgpu::WgpuSetup {
                instance: shared.instance.clone(),
                adapter: shared.adapter.clone(),
                device: shared.device.clone(),
                queue: shared.queue.clone(),
                backend: info.backend,
            })
            .init()
            .map_err(|e| e.to_string())?;
        Ok(WgpuProbe {
            device,
            description: format!(
                "wgpu: {:?}, {} (shared with the viewer)",
                info.backend, info.name
            ),
            software: info.device_type == wgpu::DeviceType::Cpu,
            refusal: None,
        })
    })
}

/// Like [`select_device`], but a GPU runs the model on `shared`'s device (the one the viewer
/// draws with) rather than on a second one. A software adapter still sends [`DeviceChoice::Auto`]
/// to the CPU; a device burn cannot use (one created without the features its kernels need)
/// falls back to a device of burn's own, and the description says why.
pub fn select_device_sharing(
    choice: DeviceChoice,
    shared: Option<&SharedWgpu>,
) -> Result<ModelDevice, ModelError> {
    let Some(shared) = shared else {
        return select_device(choice);
    };
    if choice == DeviceChoice::Cpu {
        return Ok(cpu());
    }
    let info = shared.adapter.get_info();
    if choice == DeviceChoice::Auto && info.device_type == wgpu::DeviceType::Cpu {
        // The viewer took the best adapter there is: a software one means no GPU to find.
        let mut chosen = cpu();
        chosen.description += &format!(
            " (the viewer's GPU adapter, {:?}, {}, is a software one)",
            info.backend, info.name
        );
        return Ok(chosen);
    }
    if runs_spirv(&info) {
        // cubecl creates the Vulkan devices its SPIR-V kernels run on with extensions
        // (cooperative matrices, 8- and 16-bit types) that the viewer's device was created
        // without: the model gets a device of its own on the same GPU.
        let mut chosen = select_device(choice)?;
        chosen.description +=
            " (its own device: the viewer's lacks the SPIR-V kernels' extensions)";
        return Ok(chosen);
    }
    match shared_probe(shared) {
        Ok(probe) => Ok(ModelDevice {
            device: probe.device.clone(),
            description: probe.description.clone(),
            is_gpu: true,
        }),
        Err(e) => {
            tracing::warn!("the viewer's wgpu device cannot run the model ({e}); trying another");
            let mut chosen = select_device(choice)?;
            chosen.description += " (the viewer's device could not be shared)";
            Ok(chosen)
        }
    }
}

/// Picks the device for `choice` (see [`DeviceChoice`]).
pub fn select_device(choice: DeviceChoice) -> Result<ModelDevice, ModelError> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu()),
        DeviceChoice::Gpu => match wgpu_probe() {
            Ok(WgpuProbe {
                refusal: Some(why), ..
            }) => Err(ModelError::Device(why.clone())),
            Ok(probe) => Ok(ModelDevice {
                device: probe.device.clone(),
                description: probe.description.clone(),
                is_gpu: true,
            }),
            Err(e) => Err(ModelError::Device(format!("no wgpu adapter: {e}"))),
        },
        DeviceChoice::Auto => match wgpu_probe() {
            Ok(probe) if !probe.software => Ok(ModelDevice {
                device: probe.device.clone(),
                description: probe.description.clone(),
                is_gpu: true,
            }),
            Ok(probe) => {
                let mut chosen = cpu();
                chosen.description += &format!(
                    " (the only GPU adapter, {}, is a software one)",
                    probe.description.trim_start_matches("wgpu: ")
                );
                Ok(chosen)
            }
            Err(e) => {
                let mut chosen = cpu();
                tracing::info!("no wgpu adapter ({e}); running the model on the CPU");
                chosen.description += " (no GPU adapter)";
                Ok(chosen)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_device_names_its_threads_and_the_kernels_gemm_picks() {
        let cpu = select_device(DeviceChoice::Cpu).unwrap();
        assert!(!cpu.is_gpu);
        assert!(
            cpu.description.starts_with("CPU (burn flex), "),
            "{}",
            cpu.description
        );
        assert!(cpu.description.contains(" thread"), "{}", cpu.description);
        match cpu_kernels() {
            Some(kernels) => assert!(
                cpu.description.ends_with(&format!(", {kernels}")),
                "{}",
                cpu.description
            ),
            None => {
                assert!(cpu.description.ends_with("thread") || cpu.description.ends_with("threads"))
            }
        }
    }
}
