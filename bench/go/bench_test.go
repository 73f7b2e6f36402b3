// The weft runtime benchmarks (bench/runtime_bench.cc) written in Go, workload for workload,
// each at GOMAXPROCS 1 and 2 ("workers=N"). Run: go test -bench . -benchmem
package weftbench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func withWorkers(b *testing.B, name string, f func(b *testing.B)) {
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("%sworkers=%d", name, w), func(b *testing.B) {
			prev := runtime.GOMAXPROCS(w)
			defer runtime.GOMAXPROCS(prev)
			f(b)
		})
	}
}

func BenchmarkChanSync(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
		}()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ping <- 1
			<-pong
		}
		close(ping)
	})
}

func BenchmarkChanProdCons(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		for _, c := range []int{0, 10, 100, 128} {
			b.Run(fmt.Sprintf("cap=%d", c), func(b *testing.B) {
				ch := make(chan int, c)
				done := make(chan struct{})
				go func() {
					sum := 0
					for v := range ch {
						sum += v
					}
					_ = sum
					close(done)
				}()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ch <- 1
				}
				close(ch)
				<-done
			})
		}
	})
}

func BenchmarkSelectUncontended(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		c1, c2 := make(chan int, 1), make(chan int, 1)
		c1 <- 0
		for i := 0; i < b.N; i++ {
			select {
			case <-c1:
				c2 <- 0
			case <-c2:
				c1 <- 0
			}
		}
	})
}

func BenchmarkSelectProdCons(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		c := make(chan int, 1)
		quit := make(chan struct{})
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-c:
				case <-quit:
					close(done)
					return
				}
			}
		}()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			select {
			case c <- 1:
			case <-quit:
			}
		}
		close(quit)
		<-done
	})
}

func BenchmarkChanCreation(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c := make(chan int, 1)
			c <- 0
			<-c
		}
	})
}

func BenchmarkGosched(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		var stop atomic.Bool
		done := make(chan struct{})
		go func() {
			for !stop.Load() {
				runtime.Gosched()
			}
			close(done)
		}()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			runtime.Gosched()
		}
		stop.Store(true)
		<-done
	})
}

func rssKiB(field string) int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line[len(field):])
			v, _ := strconv.ParseInt(f[0], 10, 64)
			return v
		}
	}
	return 0
}

// spawnJoinBefore is the RSS before this process's first round of BenchmarkSpawnJoin100k.
// `go test` calls a benchmark once with b.N=1 before the call it reports, and that untimed
// round leaves 100k dead goroutines with their stacks on the runtime's free lists: measured
// from the reported call's start, the peak would count none of them. weft and Boost.Fiber
// count their untimed warm-up round too (bench.sh runs each worker count in a fresh process).
var spawnJoinBefore int64 = -1

func BenchmarkSpawnJoin100k(b *testing.B) {
	const n = 100000
	withWorkers(b, "", func(b *testing.B) {
		if spawnJoinBefore < 0 {
			spawnJoinBefore = rssKiB("VmRSS:")
		}
		before := spawnJoinBefore
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			wg.Add(n)
			for j := 0; j < n; j++ {
				go wg.Done()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(rssKiB("VmHWM:")-before)/n, "peakRSS_KiB_per_g")
	})
}

func BenchmarkParked100k(b *testing.B) {
	const n = 100000
	withWorkers(b, "", func(b *testing.B) {
		var perG float64
		for i := 0; i < b.N; i++ {
			runtime.GC()
			before := rssKiB("VmRSS:")
			gate := make(chan struct{})
			var parked, exited sync.WaitGroup
			parked.Add(n)
			exited.Add(n)
			for j := 0; j < n; j++ {
				go func() {
					parked.Done()
					<-gate
					exited.Done()
				}()
			}
			parked.Wait()
			perG = float64(rssKiB("VmRSS:")-before) / n
			close(gate)
			exited.Wait()
		}
		b.ReportMetric(perG, "RSS_KiB_per_parked_g")
	})
}

func BenchmarkMutexUncontended(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		var mu sync.Mutex
		for i := 0; i < b.N; i++ {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// sharedAmong runs b.N calls of op shared among g goroutines, the benchmark's own one of them,
// like b.RunParallel: an equal share each, released together, timed until all are done.
func sharedAmong(b *testing.B, g int, op func(i int)) {
	share := b.N / g
	gate := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(g - 1)
	for k := 1; k < g; k++ {
		go func() {
			<-gate
			for i := 0; i < share; i++ {
				op(i)
			}
			wg.Done()
		}()
	}
	b.ResetTimer()
	close(gate)
	for i := 0; i < b.N-(g-1)*share; i++ {
		op(i)
	}
	wg.Wait()
	b.StopTimer()
}

func BenchmarkMutexContended(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		for _, g := range []int{2, 4, 8} {
			b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
				var mu sync.Mutex
				counter := 0
				sharedAmong(b, g, func(int) {
					mu.Lock()
					counter++
					mu.Unlock()
				})
			})
		}
	})
}

func BenchmarkRWMutexReadMostly(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		var rw sync.RWMutex
		value := 0
		sharedAmong(b, 4, func(i int) {
			if i%100 == 0 {
				rw.Lock()
				value++
				rw.Unlock()
			} else {
				rw.RLock()
				_ = value
				rw.RUnlock()
			}
		})
	})
}

func BenchmarkWaitGroupUncontended(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		var wg sync.WaitGroup
		for i := 0; i < b.N; i++ {
			wg.Add(1)
			wg.Done()
			wg.Wait()
		}
	})
}

func BenchmarkOnceFast(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		var once sync.Once
		n := 0
		for i := 0; i < b.N; i++ {
			once.Do(func() { n++ })
		}
	})
}

func BenchmarkAfter0(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			<-time.After(0)
		}
	})
}

func BenchmarkSleep0(b *testing.B) {
	withWorkers(b, "", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			time.Sleep(0)
		}
	})
}
