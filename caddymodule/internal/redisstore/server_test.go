package redisstore

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// serverConfig sets up a test redis-server.
type serverConfig struct {
	// password, when not empty, is the server's requirepass.
	password string

	// tls, when not nil, makes the server accept only TLS connections.
	tls *serverTLS
}

// serverTLS is the server's PEM files and the client settings that trust
// them, which the readiness probe uses.
type serverTLS struct {
	certFile, keyFile, caFile string
	client                    *tls.Config
}

// server is a redis-server process listening on a loopback port.
type server struct {
	addr    string
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string
}

// serverStartTimeout bounds how long startServer waits for a reply to
// PING. redis-server without persistence usually replies within a few
// milliseconds.
const serverStartTimeout = 5 * time.Second

// startServer starts redis-server on 127.0.0.1 with persistence off and a
// temporary working directory, and kills it when the test ends. It fails
// the test when redis-server is not installed, so that a machine without
// it does not pass by skipping.
func startServer(t *testing.T, cfg serverConfig) *server {
	t.Helper()

	binary, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found on PATH: %v; install redis-server (Debian: apt-get install -y redis-server)", err)
	}

	// Another process can take the free port before redis-server binds it,
	// so a start that fails on the port is tried again on a new one.
	var lastErr error
	for range 3 {
		s, err := tryStartServer(t, binary, cfg)
		if err == nil {
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

func tryStartServer(t *testing.T, binary string, cfg serverConfig) (*server, error) {
	t.Helper()

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &server{
		addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		exited:  make(chan struct{}),
		logFile: filepath.Join(dir, "redis.log"),
	}

	args := []string{
		"--bind", "127.0.0.1",
		"--protected-mode", "yes",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--logfile", s.logFile,
	}
	if cfg.tls == nil {
		args = append(args, "--port", strconv.Itoa(port))
	} else {
		args = append(args,
			"--port", "0",
			"--tls-port", strconv.Itoa(port),
			"--tls-cert-file", cfg.tls.certFile,
			"--tls-key-file", cfg.tls.keyFile,
			"--tls-ca-cert-file", cfg.tls.caFile,
			"--tls-auth-clients", "no")
	}
	if cfg.password != "" {
		args = append(args, "--requirepass", cfg.password)
	}

	s.cmd = exec.Command(binary, args...)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.kill)

	var clientTLS *tls.Config
	if cfg.tls != nil {
		clientTLS = cfg.tls.client
	}
	if err := s.waitReady(clientTLS); err != nil {
		s.kill()
		return nil, fmt.Errorf("%w; log:\n%s", err, s.log())
	}
	return s, nil
}

// waitReady polls the server with PING until it replies, or until it
// exits or serverStartTimeout passes. Any reply counts, including NOAUTH
// from a server with a password.
func (s *server) waitReady(clientTLS *tls.Config) error {
	deadline := time.Now().Add(serverStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("redis-server exited")
		default:
		}

		reply, err := ping(s.addr, clientTLS)
		if err == nil && (strings.HasPrefix(reply, "+") || strings.HasPrefix(reply, "-")) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("redis-server did not answer PING within %v", serverStartTimeout)
}

// ping sends PING in the inline protocol and returns the reply line.
func ping(addr string, clientTLS *tls.Config) (string, error) {
	dialer := &net.Dialer{Timeout: time.Second}
	var conn net.Conn
	var err error
	if clientTLS != nil {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, clientTLS)
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return "", err
	}
	defer conn.Close()

	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(conn).ReadString('\n')
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// url returns a redis:// URL for the server with password, if not empty.
func (s *server) url(password string) string {
	if password == "" {
		return "redis://" + s.addr + "/0"
	}
	return "redis://:" + password + "@" + s.addr + "/0"
}

// pause stops the process with SIGSTOP. The kernel still accepts
// connections to its port, but nothing reads from them, as with a server
// that hangs.
func (s *server) pause(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stopping redis-server: %v", err)
	}
}

// kill ends the process and waits for it to exit. It is safe to call
// more than once.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

func (s *server) log() string {
	data, err := os.ReadFile(s.logFile)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// inspect returns a go-redis client on the server's database 0, for
// checking what a Store wrote.
func (s *server) inspect(t *testing.T, password string) *redis.Client {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: s.addr, Password: password})
	t.Cleanup(func() { client.Close() })
	return client
}

// newTestStore returns a Store for cfg that is closed when the test ends.
// A zero Timeout becomes 1s, so that functional tests pass on a loaded
// machine under -race. Tests of the timeout set Timeout themselves.
func newTestStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) error = %v", cfg, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testContext returns a context that ends with the test, bounded so that
// a hung call fails the test instead of the whole run.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
