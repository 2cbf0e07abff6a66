// Users (admin).
