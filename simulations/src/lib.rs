//! Shoal simulations: a deterministic swarm simulator (its own issue); the crate exists so the workspace has its final shape.
