package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// unlockScript deletes the lock in KEYS[1] only if its value is still the
// owner id in ARGV[1]. Comparing and deleting in one script keeps a holder
// whose lock expired from deleting the lock that another server took since.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Lock takes the lock on key with SET NX PX, storing a random owner id.
// The lock expires after ttl, which must be at least 1ms. When acquired is
// false, unlock does nothing. unlock is safe to call more than once and
// from any goroutine.
//
// An error can hide a lock that was taken: if the reply to SET is lost,
// the lock stays until ttl passes, so ttl should be short.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), acquired bool, err error) {
	if err := checkTTL(ttl); err != nil {
		return func() {}, false, err
	}
	lockKey := s.prefix + "lock:" + key
	owner := rand.Text()

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	acquired, err = s.client.SetNX(ctx, lockKey, owner, ttl).Result()
	if err != nil {
		return func() {}, false, fmt.Errorf("redis: SET NX failed: %w", err)
	}
	if !acquired {
		return func() {}, false, nil
	}
	return func() { s.unlock(lockKey, owner) }, true, nil
}

// unlock deletes lockKey if owner still holds it. It runs on its own
// timeout rather than the caller's context, which has often ended by the
// time the lock is released.
func (s *Store) unlock(lockKey, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()

	// A lock that is not released expires after its TTL, as it does when
	// its holder crashes, so the error is only logged.
	if err := unlockScript.Run(ctx, s.client, []string{lockKey}, owner).Err(); err != nil {
		s.logger.Warn("releasing Redis lock failed; it expires after its TTL",
			zap.String("key", lockKey),
			zap.Error(err))
	}
}
