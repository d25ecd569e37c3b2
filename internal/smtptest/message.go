package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// parse fills the parsed fields from Raw.
func (m *Message) parse() error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return err
	}
	m.Header = msg.Header
	m.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Subject = msg.Header.Get("Subject")
	}
	return m.parsePart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

// parsePart walks a body part, keeping the first text/plain and text/html bodies.
func (m *Message) parsePart(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.parsePart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	var target *string
	switch mediaType {
	case "text/plain":
		target = &m.Text
	case "text/html":
		target = &m.HTML
	default:
		return nil
	}
	if *target != "" {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decoding %s body: %w", mediaType, err)
	}
	*target = strings.ReplaceAll(string(data), "\r\n", "\n")
	return nil
}

func (m Message) clone() Message {
	m.To = append([]string(nil), m.To...)
	m.Raw = append([]byte(nil), m.Raw...)
	if m.Header != nil {
		h := make(mail.Header, len(m.Header))
		for k, v := range m.Header {
			h[k] = append([]string(nil), v...)
		}
		m.Header = h
	}
	return m
}

// stripSpace drops the line breaks and spaces of a base64 body.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
