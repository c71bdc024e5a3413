//! Trains and runs a network with neither std nor an allocator.
#![no_std]

use backprop::optim::{Adam, Sgd};
use backprop::{graph, mlp};

mlp!(Xor<2 => tanh 4 => sigmoid 1; loss mse>);
mlp!(Wide<3 => relu 8 => identity 2; loss half_sse; scalar f64>);

const XOR_DATA: [([f32; 2], [f32; 1]); 4] = [
    ([0.0, 0.0], [0.0]),
    ([0.0, 1.0], [1.0]),
    ([1.0, 0.0], [1.0]),
    ([1.0, 1.0], [0.0]),
];

/// Trains XOR for `epochs` epochs and returns the last epoch's summed loss.
#[unsafe(no_mangle)]
pub extern "C" fn backprop_train_xor(seed: u64, epochs: u32) -> f32 {
    let mut net = Xor::new(seed);
    let mut opt = Sgd::new(0.5).momentum(0.5);
    let mut total = 0.0;
    for _ in 0..epochs {
        total = 0.0;
        for (x, t) in &XOR_DATA {
            total += net.train_step(x, t, &mut opt);
        }
    }
    total
}

/// One Adam step of an f64 network, returning its loss.
#[unsafe(no_mangle)]
pub extern "C" fn backprop_adam_step(x0: f64, x1: f64, x2: f64) -> f64 {
    let mut net = Wide::new(7);
    let mut opt = Adam::new(1e-3);
    let report = backprop::gradcheck(&net, &[x0, x1, x2], &[0.5, -0.5]);
    net.train_step(&[x0, x1, x2], &[0.5, -0.5], &mut opt) + report.max_error
}

graph!(Heads< input x[3]; h = dense(x, 4) |> tanh; p = dense(h, 2) |> softmax;
              v = dense(h, 1); loss cross_entropy(p) + 0.5 * mse(v); >);

/// One step of a two-headed graph network, its bytes written for flash, returning its
/// loss.
#[unsafe(no_mangle)]
pub extern "C" fn backprop_graph_step(x0: f32) -> f32 {
    let mut net = Heads::new(3);
    let mut opt = Sgd::new(0.1);
    let inputs = HeadsInput { x: [x0, 0.5, -0.5] };
    let targets = HeadsOutput {
        p: [1.0, 0.0],
        v: [0.25],
    };
    let losses = net.train_step(&inputs, &targets, &mut opt);
    let bytes = Xor::new(1).to_le_bytes();
    losses.total + f32::from(bytes[0])
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
