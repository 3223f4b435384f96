package process

import "errors"

// haveNotifyFD tells whether readiness by file descriptor and by notify
// socket are available: not on Windows (Validate rejects them).
const haveNotifyFD = false

var errNoNotify = errors.New("process: readiness by file descriptor or notify socket is not available on Windows")

func (in *incarnation) prepareFD(int) error  { return errNoNotify }
func (in *incarnation) prepareSocket() error { return errNoNotify }
