// A small Go-style program on weft: a generator, a pool of workers, and a fan-in with select.
//
//   jobs --> [worker x4] --> results --+
//                                       +--> select --> print
//   ticker-free progress channel -------+
#include <cstdio>

#include "weft/weft.h"

int main() {
  weft::RunResult r = weft::run([] {
    auto jobs = weft::makeChan<int>(16);
    auto results = weft::makeChan<long>(16);
    auto progress = weft::makeChan<int>();
    auto allDone = weft::makeChan<weft::Unit>();

    weft::go(weft::Named{"generator"}, [jobs] {
      for (int i = 1; i <= 1000; ++i) jobs.send(i);
      jobs.close();
    });

    constexpr int kWorkers = 4;
    auto finished = weft::makeChan<weft::Unit>(kWorkers);
    for (int w = 0; w < kWorkers; ++w) {
      weft::go(weft::Named{"worker-" + std::to_string(w)}, [=] {
        int handled = 0;
        for (int j : jobs) {
          results.send(static_cast<long>(j) * j);
          if (++handled % 100 == 0) progress.send(w);
        }
        finished.send({});
      });
    }
    weft::go(weft::Named{"closer"}, [=] {
      for (int w = 0; w < kWorkers; ++w) finished.recv();
      allDone.send({});
    });

    long sum = 0;
    int received = 0, reports = 0;
    for (bool running = true; running;) {
      weft::select(weft::recv(results, [&](long v) { sum += v, ++received; }),
                   weft::recv(progress, [&](int) { ++reports; }),
                   weft::recv(allDone, [&](weft::Unit) { running = false; }));
    }
    // Drain what the workers buffered before they finished.
    results.close();
    for (long v : results) sum += v, ++received;
    std::printf("received %d squares, sum %ld (expected %ld), %d progress reports\n", received,
                sum, 1000L * 1001 * 2001 / 6, reports);
  });
  std::printf("leaked goroutines: %zu\n", r.leaked.size());
  return r.ok() ? 0 : 1;
}
