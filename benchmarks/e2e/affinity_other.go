//go:build !linux

package e2e

import (
	"errors"
	"os/exec"
)

func allowedCPUs() ([]int, error) { return nil, errors.ErrUnsupported }

func startPinned(cmd *exec.Cmd, _ []int) error { return cmd.Start() }

func pinProcess([]int) error { return errors.ErrUnsupported }
