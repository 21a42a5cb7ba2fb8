package inject

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzWriter checks that the output is the input with exactly one snippet
// inserted, or the input unchanged, whatever the write boundaries and
// flushes: neither may change the output. A smaller window may only cancel
// the injection, never move it. An injected output must also pass
// checkBrowserAgreement.
func FuzzWriter(f *testing.F) {
	for i, c := range injectCases() {
		if input, _ := splitCase(c); len(input) <= 4096 {
			f.Add([]byte(input), int64(i))
		}
	}

	f.Fuzz(func(t *testing.T, data []byte, seed int64) {
		input := string(data)
		rng := rand.New(rand.NewPCG(uint64(seed), 0))

		whole := runWriter(t, 0, []string{input})
		checkOneInsertion(t, input, whole)
		if whole.injected {
			checkBrowserAgreement(t, input, whole.output)
		}

		chunked := runWriter(t, 0, randomChunks(rng, input))
		if chunked != whole {
			t.Fatalf("input %q in random writes: got %+v, want %+v as from one write", input, chunked, whole)
		}

		steps := randomSteps(rng, input)
		if flushed := runSteps(t, 0, steps); flushed != whole {
			t.Fatalf("input %q with steps %+v: got %+v, want %+v as without flushes", input, steps, flushed, whole)
		}

		window := 1 + rng.IntN(len(input)+8)
		small := runSteps(t, window, steps)
		if small.output != input && small.output != whole.output {
			t.Fatalf("input %q with steps %+v and window %d: got %q, want the input or %q",
				input, steps, window, small.output, whole.output)
		}
	})
}

// checkOneInsertion checks that run.output is input with testSnippet
// inserted once if run.injected, and input unchanged otherwise.
func checkOneInsertion(t testing.TB, input string, run writerRun) {
	t.Helper()

	if !run.injected {
		if run.output != input {
			t.Fatalf("input %q, not injected: got %q, want the input", input, run.output)
		}
		return
	}

	snippet := string(testSnippet)
	for i := 0; i <= len(input); i++ {
		if run.output == input[:i]+snippet+input[i:] {
			return
		}
		if i < len(input) && input[i] != run.output[i] {
			break
		}
	}
	t.Fatalf("input %q, injected: got %q, want the input with one snippet inserted", input, run.output)
}

// randomChunks splits s into writes of random sizes, including empty ones.
func randomChunks(rng *rand.Rand, s string) []string {
	var chunks []string
	for len(s) > 0 {
		n := min(rng.IntN(17), len(s))
		if rng.IntN(8) == 0 {
			n = min(rng.IntN(len(s)+1), len(s))
		}
		chunks = append(chunks, s[:n])
		s = s[n:]
	}
	return chunks
}

// randomSteps splits s into writes and adds a flush after about one in four.
func randomSteps(rng *rand.Rand, s string) []step {
	var steps []step
	for _, chunk := range randomChunks(rng, s) {
		steps = append(steps, step{data: chunk})
		if rng.IntN(4) == 0 {
			steps = append(steps, step{flush: true})
		}
	}
	return steps
}

// FuzzScript checks that Script always gives one ASCII script element whose
// settings decode to the email and token it was given.
func FuzzScript(f *testing.F) {
	f.Add("visitor@example.com", "abc.def==", "n0nce")
	f.Add("</script><!--<script>", "</SCRIPT >", `"><script>`)
	f.Add("\u2028\u2029😀é\\\"", "\x00\x01\r\n", "é😀 &amp;")
	f.Add("bad\xffutf8\xed\xa0\x80", "", "\xff")
	f.Add(strings.Repeat("<", 100), "-->", "\r")

	f.Fuzz(func(t *testing.T, email, token, nonce string) {
		checkScript(t, email, token, nonce)
	})
}
