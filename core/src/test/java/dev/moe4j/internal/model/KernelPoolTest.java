package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KernelPool} with stand-in kernel sets: leases are exclusive, never more sets than the capacity, an interrupt
 * neither ends a wait nor loses a lease, and closing closes every set, a leased one when it comes back.
 */
class KernelPoolTest {

    /** A stand-in kernel set that knows only whether it is leased and how often it was closed (nothing computes). */
    static final class FakeKernels implements InvocationHandler {
        final AtomicBoolean leased = new AtomicBoolean();
        final AtomicInteger closes = new AtomicInteger();
        final ModelKernels kernels = (ModelKernels) Proxy.newProxyInstance(ModelKernels.class.getClassLoader(),
                new Class<?>[] {ModelKernels.class}, this);

        static ModelKernels make() {
            return new FakeKernels().kernels;
        }

        static FakeKernels of(ModelKernels k) {
            return (FakeKernels) Proxy.getInvocationHandler(k);
        }

        @Override
        public Object invoke(Object proxy, Method m, Object[] args) {
            return switch (m.getName()) {
                case "close" -> {
                    closes.incrementAndGet();
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "fake kernels";
                default -> throw new UnsupportedOperationException(m.getName());
            };
        }
    }

    @Test
    void leasesAreExclusiveAndSetsNeverExceedTheCapacity() throws Exception {
        List<FakeKernels> made = new CopyOnWriteArrayList<>();
        KernelPool pool = new KernelPool(3, () -> {
            FakeKernels k = new FakeKernels();
            made.add(k);
            return k.kernels;
        });
        AtomicInteger inUse = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        ModelKernels set = pool.acquire();
                        FakeKernels k = FakeKernels.of(set);
                        try {
                            if (!k.leased.compareAndSet(false, true)) {
                                throw new AssertionError("a kernel set leased twice at once");
                            }
                            most.accumulateAndGet(inUse.incrementAndGet(), Math::max);
                            Thread.onSpinWait();
                            inUse.decrementAndGet();
                            k.leased.set(false);
                        } finally {
                            pool.release(set);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertNull(failure.get());
        assertTrue(most.get() <= 3, "at most 3 leases at once, saw " + most.get());
        assertTrue(made.size() <= 3 && made.size() == pool.created(), made.size() + " sets made");
        pool.close();
        for (FakeKernels k : made) {
            assertEquals(1, k.closes.get(), "each set closed once");
        }
        assertThrows(IllegalStateException.class, pool::acquire);
    }

    @Test
    void anInterruptedWaiterStillGetsItsLeaseAndKeepsTheFlag() throws Exception {
        KernelPool pool = new KernelPool(1, FakeKernels::make);
        ModelKernels held = pool.acquire();
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<ModelKernels> got = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        Thread waiter = Thread.ofPlatform().start(() -> {
            waiting.countDown();
            ModelKernels k = pool.acquire();
            flag.set(Thread.currentThread().isInterrupted());
            got.set(k);
            pool.release(k);
        });
        waiting.await();
        Thread.sleep(50); // the waiter is (very likely) parked in acquire by now
        waiter.interrupt();
        Thread.sleep(50);
        assertNull(got.get(), "the interrupt does not end the wait");
        pool.release(held);
        waiter.join(10_000);
        assertSame(held, got.get(), "the waiter got the one set");
        assertTrue(flag.get(), "the interrupt flag stays set for the caller");
        assertEquals(1, pool.created());
        ModelKernels again = pool.acquire(); // the lease came back: the permit was not lost
        pool.release(again);
        pool.close();
    }

    @Test
    void closingClosesFreeSetsNowAndLeasedOnesWhenReturned() {
        KernelPool pool = new KernelPool(2, FakeKernels::make);
        ModelKernels setA = pool.acquire();
        ModelKernels setB = pool.acquire();
        FakeKernels a = FakeKernels.of(setA);
        FakeKernels b = FakeKernels.of(setB);
        pool.release(setA);
        pool.close();
        assertEquals(1, a.closes.get());
        assertEquals(0, b.closes.get(), "a leased set is still in use");
        pool.release(setB);
        assertEquals(1, b.closes.get());
        assertThrows(IllegalStateException.class, pool::acquire);
        pool.close(); // idempotent
        assertEquals(1, a.closes.get());
    }

    @Test
    void aFailedCreationGivesThePermitBack() {
        AtomicInteger calls = new AtomicInteger();
        KernelPool pool = new KernelPool(1, () -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("no context");
            }
            return FakeKernels.make();
        });
        assertThrows(IllegalStateException.class, pool::acquire);
        assertEquals(0, pool.created());
        ModelKernels k = pool.acquire(); // would block forever had the permit been lost
        assertFalse(k == null);
        pool.release(k);
        assertEquals(1, pool.created());
        pool.close();
    }
}
