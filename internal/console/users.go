package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// User is one local account of the console (the embedded default; real deployments log in
// with OpenID Connect).
type User struct {
	Login string `json:"login"`
	Name  string `json:"name"`
	// Email is how the person is recorded as the actor, and how the incident's contacts by
	// role name them.
	Email string `json:"email"`
	// Auditor marks a read-only account: it sees everything and can act on nothing.
	Auditor bool `json:"auditor,omitempty"`
	// Hash is the argon2id hash of the password in the PHC string format.
	Hash string `json:"hash"`
}

// Users is the local users file, read once and re-read after a change on disk is written by
// AddUser.
type Users struct {
	mu    sync.RWMutex
	path  string
	users []User
}

// usersFile is the file's shape.
type usersFile struct {
	Users []User `json:"users"`
}

// argon2id parameters: RFC 9106's second recommended option scaled to a laptop (64 MiB, 1 pass,
// 4 lanes), the same as OWASP's minimum or stronger.
const (
	argonTime    = 1
	argonMemory  = 64 * 1024
	argonThreads = 4
	argonKeyLen  = 32
)

// MinPasswordLen is the shortest password `user add` accepts.
const MinPasswordLen = 12

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// HashPassword returns the argon2id hash of a password with a fresh salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword compares a password with an argon2id hash in constant time.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<21 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked for unknown logins, so a wrong login costs the same time as a wrong
// password and the response time does not tell which logins exist.
var dummyHash, _ = HashPassword("not a password of anyone")

// LoadUsers reads a users file; a missing file is an empty set of users.
func LoadUsers(path string) (*Users, error) {
	u := &Users{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return u, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	var f usersFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("users file %s: %w (it is JSON; recreate it with `starter user add`)", path, err)
	}
	u.users = f.Users
	return u, nil
}

// Authenticate returns the user whose login and password match.
func (u *Users) Authenticate(login, password string) (User, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, x := range u.users {
		if x.Login == login {
			return x, checkPassword(x.Hash, password)
		}
	}
	checkPassword(dummyHash, password)
	return User{}, false
}

// Len is the number of users.
func (u *Users) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

// Put adds a user or replaces the one with the same login, with a new password, and writes the
// file (mode 0600, atomically).
func (u *Users) Put(user User, password string) error {
	if !loginPattern.MatchString(user.Login) {
		return fmt.Errorf("login %q: use 1–64 lower-case letters, digits, '.', '_' or '-'", user.Login)
	}
	if a, err := mail.ParseAddress(user.Email); err != nil || a.Address != user.Email {
		return fmt.Errorf("--email %q: give a plain address such as cio@agency.example (it is how the incident's contacts name this person)", user.Email)
	}
	if strings.TrimSpace(user.Name) == "" {
		user.Name = user.Email
	}
	if len([]rune(password)) < MinPasswordLen {
		return fmt.Errorf("password: at least %d characters", MinPasswordLen)
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	user.Hash = h
	u.mu.Lock()
	defer u.mu.Unlock()
	users := slices.DeleteFunc(slices.Clone(u.users), func(x User) bool { return x.Login == user.Login })
	users = append(users, user)
	if err := writeUsers(u.path, users); err != nil {
		return err
	}
	u.users = users
	return nil
}

func writeUsers(path string, users []User) error {
	data, err := json.MarshalIndent(usersFile{Users: users}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*.json")
	if err != nil {
		return fmt.Errorf("writing users file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// RandomPassword returns a fresh password of 20 URL-safe characters.
func RandomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
