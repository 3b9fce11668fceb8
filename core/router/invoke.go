package router

import (
	"context"
	"errors"
	"fmt"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// RemoteError is a reply other than OK from an object the router called
// itself (a permissions verifier, a session manager).
type RemoteError struct {
	Op    string
	Reply ice.Reply
	// TypeID is the raised user exception's most-derived type, when the
	// status is a user exception.
	TypeID string
	// Members are that slice's encoded data members.
	Members  []byte
	Encoding ice.Version
}

func (e *RemoteError) Error() string {
	switch e.Reply.Status {
	case ice.ReplyUserException:
		return fmt.Sprintf("%s raised %s", e.Op, e.TypeID)
	case ice.ReplyObjectNotExist, ice.ReplyFacetNotExist, ice.ReplyOperationNotExist:
		return fmt.Sprintf("%s: %s (%s)", e.Op, e.Reply.Status, e.Reply.Identity.String())
	}
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Reply.Status, e.Reply.Unknown)
}

type waitResult struct {
	body []byte
	err  error
}

type waiter chan waitResult

func (w waiter) Reply(_ *transport.Batch, _ int32, m *transport.Message, err error) {
	var res waitResult
	if err != nil {
		res.err = err
	} else {
		res.body = append([]byte(nil), m.Body()...)
		m.Release()
	}
	w <- res
}

// invoke calls op on target as an ordinary Ice client would and returns the
// OK result encapsulation (header included); any other outcome is an error,
// a *RemoteError when the object answered.
func (r *Router) invoke(ctx context.Context, target *ice.Proxy, op string, mode ice.OperationMode,
	reqCtx ice.Context, params []byte) ([]byte, error) {
	conn, err := r.backendConn(target, false)
	if err != nil {
		return nil, err
	}
	if params == nil {
		enc := target.Encoding
		if enc == (ice.Version{}) {
			enc = ice.Encoding11
		}
		params = []byte{6, 0, 0, 0, enc.Major, enc.Minor}
	}
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{
		ID: 1, Identity: target.Identity, Facet: target.Facet, Operation: op, Mode: mode,
		Context: reqCtx, Params: params,
	})
	w := make(waiter, 1)
	if err := conn.SendRequest(transport.MessageFrom(msg), w, 0); err != nil {
		return nil, err
	}
	var res waitResult
	select {
	case res = <-w:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s on %s: %w", op, target.Identity.String(), ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	rep, err := ice.ParseReply(res.body)
	if err != nil {
		return nil, err
	}
	if rep.Status == ice.ReplyOK {
		return rep.Payload, nil
	}
	re := &RemoteError{Op: op, Reply: rep}
	if rep.Status == ice.ReplyUserException {
		if sl, err := ice.ParseUserException(rep.Payload); err == nil {
			re.TypeID, re.Members = sl.TypeID, sl.Members
			re.Encoding = ice.Version{Major: rep.Payload[4], Minor: rep.Payload[5]}
		}
	}
	return nil, re
}

// userException reports whether err is the remote user exception typeID,
// and decodes its reason member when it has one.
func userException(err error, typeID string) (reason string, ok bool) {
	var re *RemoteError
	if !errors.As(err, &re) || re.TypeID != typeID {
		return "", false
	}
	d := ice.NewDecoder(re.Members)
	reason, _ = d.String()
	return reason, true
}
