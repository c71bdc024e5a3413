//! Firmware for a Cortex-M4F: trains the seed network on XOR at reset, then keeps its
//! answer for (0, 1) and waits. What it costs in flash and RAM is in the README.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

/// The trained network's output for (0, 1), as bits, for a debugger to read.
static ANSWER: AtomicU32 = AtomicU32::new(0);

#[cortex_m_rt::entry]
fn main() -> ! {
    let (net, _) = backprop_device::train(42, 2000);
    let [y] = net.forward(&[0.0, 1.0]);
    ANSWER.store(y.to_bits(), Ordering::Relaxed);
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
