package testdb

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/flowstore/flowstore/store"
)

var ctxType = reflect.TypeFor[context.Context]()
var errType = reflect.TypeFor[error]()

// RefusesNilContext calls every exported method of v whose first parameter
// is a context.Context with a nil context (and zero values for the rest)
// and checks that each refuses it with store.ErrInvalid — an error return,
// or the first value of a returned iterator — instead of panicking inside
// database/sql, whose recovered panic leaves the pool's lock held so that
// every later call hangs. Methods listed in skip are left out (with a
// reason in the caller's comment). It returns how many methods it called.
func RefusesNilContext(t testing.TB, v any, skip ...string) int {
	t.Helper()
	rv := reflect.ValueOf(v)
	called := 0
	for i := range rv.NumMethod() {
		m := rv.Type().Method(i)
		if contains(skip, m.Name) {
			continue
		}
		mt := rv.Method(i).Type()
		if mt.NumIn() == 0 || mt.In(0) != ctxType {
			continue
		}
		args := make([]reflect.Value, mt.NumIn())
		args[0] = reflect.Zero(ctxType)
		for j := 1; j < mt.NumIn(); j++ {
			if mt.IsVariadic() && j == mt.NumIn()-1 {
				args[j] = reflect.Zero(mt.In(j))
				continue
			}
			args[j] = reflect.Zero(mt.In(j))
		}
		err := callRefusing(t, m.Name, rv.Method(i), args, mt.IsVariadic())
		called++
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s with a nil context: %v, want store.ErrInvalid", m.Name, err)
		}
	}
	return called
}

// callRefusing calls a method and returns the error it reports: its error
// result, or the error of the first pair of a returned iter.Seq2.
func callRefusing(t testing.TB, name string, fn reflect.Value, args []reflect.Value, variadic bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s with a nil context panicked: %v", name, p)
			err = nil
		}
	}()
	var out []reflect.Value
	if variadic {
		out = fn.CallSlice(args)
	} else {
		out = fn.Call(args)
	}
	for _, o := range out {
		if o.Type() == errType {
			if o.IsNil() {
				return nil
			}
			return o.Interface().(error)
		}
	}
	for _, o := range out {
		if o.Kind() == reflect.Func && o.Type().NumIn() == 1 && o.Type().In(0).Kind() == reflect.Func {
			return firstIterError(o)
		}
	}
	t.Errorf("%s returns neither an error nor an iterator; it cannot refuse a nil context", name)
	return nil
}

// firstIterError runs an iter.Seq2[T, error] until its first pair and
// returns that pair's error.
func firstIterError(seq reflect.Value) error {
	var got error
	yield := reflect.MakeFunc(seq.Type().In(0), func(args []reflect.Value) []reflect.Value {
		if last := args[len(args)-1]; last.Type() == errType && !last.IsNil() {
			got = last.Interface().(error)
		}
		return []reflect.Value{reflect.ValueOf(false)}
	})
	seq.Call([]reflect.Value{yield})
	return got
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
