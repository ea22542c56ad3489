package main

// The README's walk-through is run as written (issue 13 part 8): its ```sh
// blocks, in order, in one bash, against `securebase dev` started on free
// ports in a temporary directory, with the commands' `bin/securebase`
// being this test binary run as the command (asBinaryEnv: the same root
// command main runs). A line "# ..." under a command is the output the
// README promises; a block that promises none must answer without an error.

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/devserver"
)

// asBinaryEnv makes this test binary the securebase command: the README's
// commands run it as bin/securebase.
const asBinaryEnv = "SECUREBASE_TEST_AS_BINARY"

func init() {
	if os.Getenv(asBinaryEnv) == "" {
		return
	}
	os.Args = append([]string{"securebase"}, os.Args[1:]...)
	main()
	os.Exit(0)
}

// walkthroughBlocks are the ```sh blocks of the README section headed title.
func walkthroughBlocks(t *testing.T, readme, title string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("the README has no section %q", title)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(section, "```sh\n")
		if !ok {
			break
		}
		block, after, ok := strings.Cut(rest, "```")
		if !ok {
			t.Fatal("an unclosed ```sh block")
		}
		blocks = append(blocks, block)
		section = after
	}
	return blocks
}

func TestREADMEWalkthroughRunsAsWritten(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("the walk-through needs curl: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(t, string(readme), "A walk-through with curl")
	if len(blocks) < 5 {
		t.Fatalf("%d sh blocks in the walk-through, want the 5 it has", len(blocks))
	}

	// bin/securebase in a fresh directory: the README's own paths.
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "bin", "securebase")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), asBinaryEnv+"=1", "SECUREBASE_JWT_SECRET=", "DATABASE_URL=")
	apiPort, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	temporalPort, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var devOut bytes.Buffer
	dev := exec.Command("bin/securebase", "dev", "--addr", fmt.Sprintf("127.0.0.1:%d", apiPort), "--temporal-port", fmt.Sprint(temporalPort))
	dev.Dir, dev.Env, dev.Stdout, dev.Stderr = dir, env, &devOut, &devOut
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dev.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = dev.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = dev.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("dev's output:\n%s", devOut.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	for deadline := time.Now().Add(3 * time.Minute); ; {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev did not answer on %s in 3 minutes:\n%s", base, devOut.String())
		}
		time.Sleep(500 * time.Millisecond)
	}

	// One script: every block as written (the api= the README sets points
	// at this dev), each block's output between markers.
	var script strings.Builder
	var promised [][]string
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '@@block %d'\n", i)
		var want []string
		for _, line := range strings.Split(b, "\n") {
			if w, ok := strings.CutPrefix(line, "# "); ok {
				want = append(want, w)
				continue
			}
			if strings.HasPrefix(line, "api=http://127.0.0.1:8080") {
				line = strings.Replace(line, "127.0.0.1:8080", fmt.Sprintf("127.0.0.1:%d", apiPort), 1)
			}
			script.WriteString(line + "\n")
		}
		script.WriteString("echo\n")
		promised = append(promised, want)
	}
	sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", script.String())
	sh.Dir, sh.Env = dir, env
	var out, errOut bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &errOut
	if err := sh.Run(); err != nil {
		t.Fatalf("the walk-through failed: %v\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", err, out.String(), errOut.String(), script.String())
	}
	outputs := map[int]string{}
	cur := -1
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "@@block "); ok {
			fmt.Sscan(n, &cur)
			continue
		}
		outputs[cur] += sc.Text() + "\n"
	}
	for i, want := range promised {
		got := outputs[i]
		if len(want) == 0 {
			if strings.Contains(got, `"error"`) {
				t.Errorf("block %d answered with an error:\n%s\n%s", i+1, blocks[i], got)
			}
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("block %d promises %q; it printed:\n%s", i+1, w, got)
			}
		}
	}
	if !strings.Contains(outputs[1], `"id":"nq-1"`) || !strings.Contains(outputs[3], `"next_due"`) {
		t.Errorf("the onboarding and the session did not answer as the README says:\n%s\n%s", outputs[1], outputs[3])
	}
}
