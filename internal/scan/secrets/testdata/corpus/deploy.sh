#!/bin/bash
export DB_PASSWORD='Zl5ahxzUoo2r!r0qiogqPe3W'
./migrate --password "$DB_PASSWORD"
