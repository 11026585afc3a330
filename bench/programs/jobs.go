// Job runner: N runs of /bin/true, at most K at a time, each one's output
// captured -- goroutines and os/exec.
package main

import (
	"os"
	"os/exec"
	"strconv"
	"sync"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	k, _ := strconv.Atoi(os.Args[2])
	slots := make(chan struct{}, k)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := exec.Command("/bin/true").Output(); err != nil {
				panic(err)
			}
			<-slots
		}()
	}
	wg.Wait()
}
