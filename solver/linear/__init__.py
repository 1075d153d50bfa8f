"""Linear solves: preconditioned conjugate gradients (:mod:`.krylov`) with geometric multigrid
(:mod:`.multigrid`), and batched dense solves that stay safe on several CPU devices (:mod:`.cpu_batching`)."""

__all__ = ["cpu_batching", "krylov", "multigrid"]
