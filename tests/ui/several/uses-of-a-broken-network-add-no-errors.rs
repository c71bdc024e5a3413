// A broken spec still declares the network with its whole API, so code that uses it
// reports nothing more than the spec's own error.
use backprop::Network;

backprop::mlp!(pub Xor<2 => rellu 2 => sigmoid 1; loss mse>);

fn takes(_: &Xor) {}

fn main() {
    let mut net = Xor::new(1);
    let y: [f32; 1] = net.forward(&[0.0, 1.0]);
    let mut opt = backprop::optim::Sgd::new(0.1);
    let loss = net.train_step(&[0.0, 1.0], &[1.0], &mut opt);
    let batch = [([0.0f32, 1.0], [1.0f32])];
    let mean = net.train_batch(&batch, &mut opt);
    let _ = (y, loss, mean, Xor::PARAMS, net.params()[0]);
    takes(&net);
}
