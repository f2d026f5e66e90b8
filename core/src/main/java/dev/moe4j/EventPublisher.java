package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A cold {@link Flow.Publisher} of a request's events: each subscriber gets its own run, started on the model's
 * executor when it subscribes. The run advances only while the subscriber has demand (a step yields one or two events;
 * the generation waits, holding its state, until more is requested), so a slow subscriber slows generation instead of
 * filling memory. Cancelling the subscription stops the run within one token and frees its state.
 */
final class EventPublisher implements Flow.Publisher<TokenEvent> {
    private final Model model;
    private final GenerationRequest request;
    private final Executor executor;

    EventPublisher(Model model, GenerationRequest request, Executor executor) {
        this.model = model;
        this.request = request;
        this.executor = executor;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super TokenEvent> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        RunSubscription s = new RunSubscription(subscriber);
        subscriber.onSubscribe(s);
        try {
            executor.execute(s::drive);
        } catch (RuntimeException e) { // a rejecting executor
            s.cancel();
            subscriber.onError(e);
        }
    }

    private final class RunSubscription implements Flow.Subscription {
        private final Flow.Subscriber<? super TokenEvent> subscriber;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private long demand;
        private volatile boolean cancelled;
        private @Nullable Throwable badRequest;

        RunSubscription(Flow.Subscriber<? super TokenEvent> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            lock.lock();
            try {
                if (n <= 0) {
                    badRequest = new IllegalArgumentException("request(" + n + "): demand must be positive "
                            + "(Reactive Streams rule 3.9)");
                    cancelled = true;
                } else {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** The run, on an executor thread. */
        void drive() {
            GenerationRun.Stepper stepper = new GenerationRun.Stepper(model, request.settings(() -> cancelled));
            ArrayDeque<TokenEvent> ready = new ArrayDeque<>();
            try {
                boolean more = true;
                while (true) {
                    if (ready.isEmpty()) {
                        if (!more || cancelled) {
                            break;
                        }
                        more = stepper.step(ready::add);
                        continue;
                    }
                    if (!awaitDemand()) {
                        break;
                    }
                    subscriber.onNext(ready.poll());
                }
            } catch (Throwable e) {
                stepper.close();
                if (!cancelled) {
                    cancelled = true;
                    subscriber.onError(e);
                }
                return;
            }
            stepper.close();
            if (badRequest != null) {
                subscriber.onError(badRequest);
            } else if (!cancelled) {
                subscriber.onComplete();
            }
        }

        /** Takes one unit of demand, waiting for it; false if cancelled. */
        private boolean awaitDemand() throws InterruptedException {
            lock.lock();
            try {
                while (demand == 0 && !cancelled) {
                    changed.await();
                }
                if (cancelled) {
                    return false;
                }
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                return true;
            } finally {
                lock.unlock();
            }
        }
    }
}
