//! `viser4d-timeline`: the block timeline store (placeholder, see issue 5).
