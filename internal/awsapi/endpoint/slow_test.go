package endpoint

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that sends its headers or its body too slowly (slowloris) holds
// a connection only as long as the server's timeouts: the server closes it,
// and the handler never sees a request without its whole body.
func TestSlowClientsAreCutOff(t *testing.T) {
	// The endpoint's own server has every timeout (the test shortens them).
	prod := httpServer(nil, serverTimeouts)
	if prod.ReadHeaderTimeout <= 0 || prod.ReadTimeout <= 0 || prod.IdleTimeout <= 0 || prod.ReadHeaderTimeout > 30*time.Second || prod.ReadTimeout > 2*time.Minute {
		t.Errorf("the endpoint's server timeouts: header %s, request %s, idle %s", prod.ReadHeaderTimeout, prod.ReadTimeout, prod.IdleTimeout)
	}

	served := make(chan string, 4)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			served <- "body read failed: " + err.Error()
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		served <- "served " + string(b)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httpServer(h, timeouts{header: 300 * time.Millisecond, request: 600 * time.Millisecond, idle: time.Second})
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	for name, partial := range map[string]string{
		"headers never finished": "POST / HTTP/1.1\r\nHost: ecs\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\n",
		"body never finished":    "POST / HTTP/1.1\r\nHost: ecs\r\nContent-Length: 100\r\n\r\n{\"cluster",
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(partial)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply, err := io.ReadAll(conn)
		held := time.Since(start)
		_ = conn.Close()
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the server still held the connection after 10 s", name)
			continue
		}
		if held > 5*time.Second {
			t.Errorf("%s: held %s", name, held)
		}
		if strings.Contains(string(reply), "200 OK") {
			t.Errorf("%s: answered 200: %q", name, reply)
		}
	}
	select {
	case got := <-served:
		if strings.HasPrefix(got, "served") {
			t.Errorf("a handler saw a request without its whole body: %s", got)
		}
	default:
	}
}
