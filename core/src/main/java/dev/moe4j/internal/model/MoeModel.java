package dev.moe4j.internal.model;

/** A model whose blocks may hold routed experts: what {@link RoutedExperts} needs to find them. */
interface MoeModel {

    /** Blocks (layers) of the model. */
    int blocks();

    /** The routed experts of block {@code l}, or null for a dense block. */
    MoeFfn moe(int l);

    /** The experts' wiring every MoE block was built with. */
    ExpertWiring experts();
}
