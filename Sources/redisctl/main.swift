print("redisctl")
