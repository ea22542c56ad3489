// Package smtptest is a tiny SMTP server on 127.0.0.1 for tests: it speaks
// enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for
// net/smtp and keeps every message it accepts.
package smtptest

import (
	"bytes"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// Message is one accepted message.
type Message struct {
	From   string
	To     []string
	Data   []byte
	Header mail.Header
	Body   string
}

// Server is a running SMTP listener.
type Server struct {
	Addr string // host:port

	ln       net.Listener
	mu       sync.Mutex
	messages []Message
}

// Start listens on a free port on 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// Messages returns every message accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages with rcpt among their recipients.
func (s *Server) To(rcpt string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

func (s *Server) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(conn)
	}
}

func (s *Server) session(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 smtptest ready") {
		return
	}
	var from string
	var to []string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-smtptest\r\n250 8BITMIME")
		case "HELO":
			reply("250 smtptest")
		case "MAIL":
			from, to = addr(arg), nil
			reply("250 ok")
		case "RCPT":
			to = append(to, addr(arg))
			reply("250 ok")
		case "DATA":
			if from == "" || len(to) == 0 {
				reply("503 need MAIL and RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.accept(from, to, data)
			from, to = "", nil
			reply("250 queued")
		case "RSET":
			from, to = "", nil
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (s *Server) accept(from string, to []string, data []byte) {
	m := Message{From: from, To: to, Data: data}
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = msg.Header
		var b bytes.Buffer
		b.ReadFrom(msg.Body)
		m.Body = b.String()
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
}

// addr takes the address out of "FROM:<a@b>" or "TO:<a@b> SIZE=1".
func addr(arg string) string {
	_, v, _ := strings.Cut(arg, ":")
	v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
	return strings.Trim(v, "<>")
}
