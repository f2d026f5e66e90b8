/**
 * The expert-offloading memory manager: runs MoE models whose routed experts do not all fit in memory.
 *
 * <p>Routed experts are keyed by (MoE layer, expert) in an {@link dev.moe4j.internal.offload.ExpertSpace}. Which of
 * them stay in memory is decided by a {@link dev.moe4j.internal.offload.CachePolicy}, a component with no memory of
 * its own: {@link dev.moe4j.internal.offload.LruPolicy} is the baseline, {@link dev.moe4j.internal.offload.TinyLfuPolicy}
 * adds frequency-aware admission (count-min sketch with aging), layer-aware victims and pinning of hot experts from a
 * {@link dev.moe4j.RoutingProfile}. The {@link dev.moe4j.internal.offload.TraceSimulator} replays recorded
 * {@link dev.moe4j.internal.offload.RoutingTrace}s against policies and budgets (hit rate, bytes read), with Belady's
 * optimum as the upper bound. {@link dev.moe4j.internal.offload.RoutingListener} is the hook in the MoE block that
 * records traces and {@link dev.moe4j.internal.offload.RoutingCounts} (profiles).
 */
package dev.moe4j.internal.offload;
