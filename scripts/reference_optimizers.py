"""Reference trajectories for the optimizers' tests, computed independently of the Rust
code from the update rules as PyTorch's documentation writes them (torch.optim.SGD,
Adam, AdamW, RMSprop, Adagrad) and, for Lion, as Chen et al. 2023 (Algorithm 2) write
it. Plain Python floats (IEEE double), no third-party package.

The problem: the quadratic f(θ) = ½(θ₀² + 10 θ₁²), gradient (θ₀, 10 θ₁), from
θ = (1, −2); five steps each. Run `python3 scripts/reference_optimizers.py` and compare
with the numbers in backprop-runtime/src/optim/*.rs.
"""
import math

THETA0 = [1.0, -2.0]
STEPS = 5


def grad(theta):
    return [theta[0], 10.0 * theta[1]]


def sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    theta, b = list(THETA0), None
    out = []
    for t in range(1, STEPS + 1):
        g = [gi + weight_decay * th for gi, th in zip(grad(theta), theta)]
        if momentum != 0.0:
            if b is None:
                b = list(g)
            else:
                b = [momentum * bi + (1 - dampening) * gi for bi, gi in zip(b, g)]
            g = [gi + momentum * bi for gi, bi in zip(g, b)] if nesterov else list(b)
        theta = [th - lr * gi for th, gi in zip(theta, g)]
        out.append(theta)
    return out


def adamw(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    theta, m, v = list(THETA0), [0.0, 0.0], [0.0, 0.0]
    out = []
    for t in range(1, STEPS + 1):
        g = grad(theta)
        theta = [th - lr * weight_decay * th for th in theta]
        m = [betas[0] * mi + (1 - betas[0]) * gi for mi, gi in zip(m, g)]
        v = [betas[1] * vi + (1 - betas[1]) * gi * gi for vi, gi in zip(v, g)]
        mh = [mi / (1 - betas[0] ** t) for mi in m]
        vh = [vi / (1 - betas[1] ** t) for vi in v]
        theta = [th - lr * a / (math.sqrt(b) + eps) for th, a, b in zip(theta, mh, vh)]
        out.append(theta)
    return out


def rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    theta, v, gavg, b = list(THETA0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    out = []
    for t in range(1, STEPS + 1):
        g = [gi + weight_decay * th for gi, th in zip(grad(theta), theta)]
        v = [alpha * vi + (1 - alpha) * gi * gi for vi, gi in zip(v, g)]
        vt = list(v)
        if centered:
            gavg = [alpha * a + (1 - alpha) * gi for a, gi in zip(gavg, g)]
            vt = [vi - a * a for vi, a in zip(vt, gavg)]
        if momentum > 0:
            b = [momentum * bi + gi / (math.sqrt(vi) + eps) for bi, gi, vi in zip(b, g, vt)]
            theta = [th - lr * bi for th, bi in zip(theta, b)]
        else:
            theta = [th - lr * gi / (math.sqrt(vi) + eps) for th, gi, vi in zip(theta, g, vt)]
        out.append(theta)
    return out


def adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    theta, s = list(THETA0), [initial_accumulator_value] * 2
    out = []
    for t in range(1, STEPS + 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = [gi + weight_decay * th for gi, th in zip(grad(theta), theta)]
        s = [si + gi * gi for si, gi in zip(s, g)]
        theta = [th - clr * gi / (math.sqrt(si) + eps) for th, gi, si in zip(theta, g, s)]
        out.append(theta)
    return out


def lion(lr, betas=(0.9, 0.99), weight_decay=0.0):
    sign = lambda x: (x > 0) - (x < 0)
    theta, m = list(THETA0), [0.0, 0.0]
    out = []
    for t in range(1, STEPS + 1):
        g = grad(theta)
        c = [betas[0] * mi + (1 - betas[0]) * gi for mi, gi in zip(m, g)]
        theta = [th - lr * (sign(ci) + weight_decay * th) for th, ci in zip(theta, c)]
        m = [betas[1] * mi + (1 - betas[1]) * gi for mi, gi in zip(m, g)]
        out.append(theta)
    return out


CASES = {
    "sgd(lr=0.05, momentum=0.9, dampening=0.5)": sgd(0.05, momentum=0.9, dampening=0.5),
    "adamw(lr=0.1, weight_decay=0.1)": adamw(0.1, weight_decay=0.1),
    "rmsprop(lr=0.01)": rmsprop(0.01),
    "rmsprop(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)": rmsprop(
        0.01, momentum=0.9, centered=True, weight_decay=0.1
    ),
    "adagrad(lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.2)": adagrad(
        0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.2
    ),
    "lion(lr=0.01, weight_decay=0.5)": lion(0.01, weight_decay=0.5),
}

if __name__ == "__main__":
    for name, trajectory in CASES.items():
        print(name)
        for theta in trajectory:
            print(f"    [{theta[0]!r}, {theta[1]!r}],")
