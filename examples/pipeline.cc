// A small Go-style program on weft: a generator, a pool of workers, a fan-in with select, a
// WaitGroup to know when the workers are done, and a context that bounds the whole job.
//
//   generator --> jobs --> [worker x4] --> results --+
//                                                     +--> select --> sum
//   ctx.done() (timeout or cancel) -------------------+
#include <chrono>
#include <cstdio>
#include <string>

#include "weft/weft.h"

using namespace std::chrono_literals;

int main() {
  weft::RunResult r = weft::run([] {
    auto [ctx, cancel] = weft::withTimeout(weft::background(), 5s);
    auto jobs = weft::makeChan<int>(16);
    auto results = weft::makeChan<long>(16);

    weft::go(weft::Named{"generator"}, [jobs, ctx = ctx] {
      for (int i = 1; i <= 1000; ++i) {
        // Stop producing as soon as the job is canceled (Go: select with ctx.Done()).
        if (weft::select(weft::send(jobs, i), weft::recv(ctx.done())) == 1) break;
      }
      jobs.close();
    });

    constexpr int kWorkers = 4;
    weft::WaitGroup workers;
    workers.add(kWorkers);
    for (int w = 0; w < kWorkers; ++w) {
      weft::go(weft::Named{"worker-" + std::to_string(w)}, [&workers, jobs, results] {
        for (int j : jobs) results.send(static_cast<long>(j) * j);
        workers.done();
      });
    }
    weft::go(weft::Named{"closer"}, [&workers, results] {
      workers.wait();
      results.close();
    });

    long sum = 0;
    int received = 0;
    for (bool running = true; running;) {
      weft::select(weft::recv(results, [&](long v, bool ok) {
                     if (!ok) {
                       running = false;
                       return;
                     }
                     sum += v, ++received;
                   }),
                   weft::recv(ctx.done(), [&](weft::Unit) {
                     std::printf("gave up: %s\n", ctx.err().message().c_str());
                     running = false;
                   }));
    }
    cancel();
    // After a timeout the workers may still be sending: drain so that none stays blocked.
    for (long v : results) sum += v, ++received;
    std::printf("received %d squares, sum %ld (expected %ld)\n", received, sum,
                1000L * 1001 * 2001 / 6);
  });
  std::printf("leaked goroutines: %zu\n", r.leaked.size());
  return r.ok() ? 0 : 1;
}
