package bundle

import (
	"io"
	"sync"
)

// stagingFile is where a Writer stages content and an archive Bundle keeps
// its extracted files: an *os.File, or a memFile when nothing may touch the
// disk (WriterOptions.InMemory, ReadOptions.InMemory: an encrypted snapshot
// must never have a plaintext copy on disk).
type stagingFile interface {
	io.ReaderAt
	io.WriterAt
	io.Writer
	Close() error
}

// memFile is a stagingFile in memory. Write appends; WriteAt may extend it.
// It is safe for concurrent use (a Writer's Adds write at their own offsets
// concurrently).
type memFile struct {
	mu   sync.RWMutex
	data []byte
}

func (m *memFile) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append(m.data, p...)
	return len(p), nil
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if end := off + int64(len(p)); end > int64(len(m.data)) {
		if end > int64(cap(m.data)) {
			grown := make([]byte, end, max(end, 2*int64(cap(m.data))))
			copy(grown, m.data)
			m.data = grown
		} else {
			m.data = m.data[:end]
		}
	}
	copy(m.data[off:], p)
	return len(p), nil
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases the memory.
func (m *memFile) Close() error {
	m.mu.Lock()
	m.data = nil
	m.mu.Unlock()
	return nil
}
